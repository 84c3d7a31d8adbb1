// `keel health`: the gateway's health snapshot (subsystems, startup steps, memory, event loop).
import { EXIT } from "./errors.js";
import { bytes, duration, Out } from "./output.js";
import { withGateway } from "./session.js";
import type { ClientFlags } from "./target.js";

export interface HealthFlags extends ClientFlags {
  probe?: boolean;
}

/** The parts of the `health` result this command shows (the gateway may send more). */
export interface HealthResult {
  ok?: boolean;
  ts?: number;
  durationMs?: number;
  uptimeMs?: number;
  defaultAgentId?: string;
  memory?: { rss?: number; heapUsed?: number; heapTotal?: number };
  eventLoop?: { degraded?: boolean; reasons?: string[]; delayP99Ms?: number; utilization?: number };
  subsystems?: Record<string, { state: string; reason?: string }>;
  startup?: {
    phase?: string;
    steps?: { name: string; state: string; durationMs?: number; detail?: string }[];
  };
  /** Config problems that keep chats from working (they never make `ok` false). */
  warnings?: string[];
}

/** Prints health; exits 1 when the gateway reports itself not ok. */
export async function health(flags: HealthFlags): Promise<number> {
  const out = new Out();
  const result = await withGateway(flags, { scopes: ["operator.read"] }, (client) =>
    client.request<HealthResult>("health", flags.probe ? { probe: true } : {}),
  );
  if (flags.json) out.json(result);
  else printHealth(out, result);
  return result?.ok === false ? EXIT.error : EXIT.ok;
}

export function printHealth(out: Out, h: HealthResult): void {
  const ok = h.ok !== false;
  const loop = h.eventLoop ?? {};
  const rows: [string, string][] = [
    ["Health", ok ? out.paint("ok", "green") : out.paint("not ok", "red")],
    ["Uptime", h.uptimeMs === undefined ? "?" : duration(h.uptimeMs)],
    ["Startup", startupLine(h.startup)],
    [
      "Event loop",
      `p99 delay ${loop.delayP99Ms ?? "?"} ms, utilization ${loop.utilization ?? "?"}${loop.degraded ? out.paint(` — degraded: ${(loop.reasons ?? []).join("; ")}`, "yellow") : ""}`,
    ],
    [
      "Memory",
      `rss ${bytes(h.memory?.rss ?? Number.NaN)}, heap ${bytes(h.memory?.heapUsed ?? Number.NaN)} of ${bytes(h.memory?.heapTotal ?? Number.NaN)}`,
    ],
  ];
  out.rows(rows);
  const subs = Object.entries(h.subsystems ?? {});
  if (subs.length > 0) {
    out.line("Subsystems");
    out.rows(
      subs.map(([name, s]) => [name, `${paintState(out, s.state)}${s.reason ? ` (${s.reason})` : ""}`]),
      "  ",
    );
  }
  printWarnings(out, h.warnings);
}

/** A "Warnings" block, one line each, when the gateway sent any. */
export function printWarnings(out: Out, warnings: readonly string[] | undefined): void {
  if (!warnings || warnings.length === 0) return;
  out.line(out.paint(`Warnings (${warnings.length})`, "yellow"));
  for (const w of warnings) out.line(`  ${w}`);
}

/** "ready (restart-backoff 1 ms, hooks 0 ms)" or "starting: hooks running (detail)". */
export function startupLine(startup: HealthResult["startup"]): string {
  if (!startup) return "?";
  const steps = startup.steps ?? [];
  if (startup.phase === "ready") {
    const times = steps.map((s) => `${s.name} ${Math.round(s.durationMs ?? 0)} ms`).join(", ");
    return times ? `ready (${times})` : "ready";
  }
  const current = steps.find((s) => s.state === "running" || s.state === "failed");
  const detail = current
    ? `: ${current.name} ${current.state}${current.detail ? ` (${current.detail})` : ""}`
    : "";
  return `${startup.phase ?? "?"}${detail}`;
}

function paintState(out: Out, state: string): string {
  if (state === "ready") return out.paint(state, "green");
  if (state === "error" || state === "disabled") return out.paint(state, "red");
  if (state === "starting") return out.paint(state, "yellow");
  return state;
}
