// `keel status`: what the running gateway is doing (status method + connected clients).
import type { PresenceEntry } from "../protocol/frames.js";
import { EXIT } from "./errors.js";
import { type HealthResult, printWarnings, startupLine } from "./health.js";
import { bytes, duration, Out } from "./output.js";
import { withGateway } from "./session.js";
import type { ClientFlags } from "./target.js";

/** The `status` result fields shown here (Keel's own shape, see src/methods/status.ts). */
export interface StatusResult {
  version?: string;
  pid?: number;
  node?: string;
  startedAt?: number;
  uptimeMs?: number;
  bind?: string;
  host?: string;
  port?: number;
  authMode?: string;
  connections?: { count?: number; max?: number };
  subsystems?: HealthResult["subsystems"];
  startup?: HealthResult["startup"];
  memory?: { rss?: number; heapUsed?: number; heapTotal?: number };
  stateDir?: string;
  configPath?: string | null;
  config?: {
    lastReload?: {
      ok?: boolean;
      at?: number;
      trigger?: string;
      problems?: { path: string; message: string }[];
    };
    pendingRestart?: string[];
    startedOnLastGood?: boolean;
  };
  warnings?: string[];
}

/** Prints status and the presence list; `--json` prints `{status, presence}`. */
export async function status(flags: ClientFlags): Promise<number> {
  const out = new Out();
  const { st, presence } = await withGateway(flags, { scopes: ["operator.read"] }, async (client) => {
    const [st, presence] = await Promise.all([
      client.request<StatusResult>("status", {}),
      client.request<PresenceEntry[]>("system-presence", {}),
    ]);
    return { st, presence };
  });
  if (flags.json) {
    out.json({ status: st, presence });
    return EXIT.ok;
  }
  const c = st.connections ?? {};
  out.rows([
    ["Gateway", `keel ${st.version ?? "?"} (pid ${st.pid ?? "?"}, node ${st.node ?? "?"})`],
    ["Listening", `${st.host ?? "?"}:${st.port ?? "?"} (bind ${st.bind ?? "?"}, auth ${st.authMode ?? "?"})`],
    ["Uptime", st.uptimeMs === undefined ? "?" : duration(st.uptimeMs)],
    ["Startup", startupLine(st.startup)],
    ["Connections", `${c.count ?? "?"} of at most ${c.max ?? "?"}`],
    [
      "Memory",
      `rss ${bytes(st.memory?.rss ?? Number.NaN)}, heap ${bytes(st.memory?.heapUsed ?? Number.NaN)}`,
    ],
    ...(st.stateDir ? ([["State dir", st.stateDir]] as [string, string][]) : []),
  ]);
  const subs = Object.entries(st.subsystems ?? {});
  if (subs.length > 0) {
    out.line("Subsystems");
    out.rows(
      subs.map(([n, s]) => [n, `${s.state}${s.reason ? ` (${s.reason})` : ""}`]),
      "  ",
    );
  }
  printConfig(out, st.config);
  printWarnings(out, st.warnings);
  const list = Array.isArray(presence) ? presence : [];
  out.line(`Presence (${list.length})`);
  out.table(
    ["mode", "host", "ip", "version", "since"],
    list.map((p) => [
      p.mode ?? "?",
      p.host ?? "-",
      p.ip ?? "-",
      p.version ?? "-",
      p.ts ? `${duration(Date.now() - p.ts)} ago` : "-",
    ]),
    "  ",
  );
  return EXIT.ok;
}

/** The config file's reload state, only when something needs the user: a refused edit, a pending restart. */
function printConfig(out: Out, config: StatusResult["config"]): void {
  if (!config) return;
  const last = config.lastReload;
  if (last && last.ok === false) {
    const where = config.startedOnLastGood
      ? "at start; running the last good copy"
      : "running the last good config";
    out.line(out.paint(`Config file invalid (${where})`, "yellow"));
    for (const p of last.problems ?? []) out.line(`  ${p.path}: ${p.message}`);
  }
  const pending = config.pendingRestart ?? [];
  if (pending.length > 0)
    out.line(`Pending restart: ${pending.join(", ")} (apply with keel gateway restart)`);
}
