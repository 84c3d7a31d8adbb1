// `keel models`: configured models with provider, context window and whether their provider answers.
import type { ModelListEntry } from "../models/registry.js";
import { type ProbeResult, probeProvider } from "../models/probe.js";
import { CliError, EXIT } from "./errors.js";
import { gatewayDown } from "./offline.js";
import { Out } from "./output.js";
import { withGateway } from "./session.js";
import { type ClientFlags, loadLocalConfig, resolveTarget } from "./target.js";

export interface ModelsFlags extends ClientFlags {
  /** False with --no-probe: list only, ask no provider. */
  probe?: boolean;
}

/** One row of the listing: the gateway's (or the config's) entry plus what the probe found. */
export interface ModelRow extends Pick<ModelListEntry, "id" | "name" | "provider" | "contextWindow"> {
  /** ok, not served, provider unreachable, key rejected, provider error, unknown, or not probed. */
  state: string;
  detail?: string;
}

/** Lists models from the running gateway's models.list, else from the local config (saying so). */
export async function models(flags: ModelsFlags): Promise<number> {
  const out = new Out();
  const target = await resolveTarget(flags);
  // Only a local target's config describes the gateway's providers (URLs and keys to probe). A
  // config this shell cannot load (a provider key in an unset ${VAR}) only costs the probes: the
  // listing comes from the running gateway.
  const local = target.local ? await localConfigOrNote(target.stateDir!, flags.config) : undefined;
  let listed: ModelListEntry[];
  let source: "gateway" | "config" = "gateway";
  try {
    const result = await withGateway(flags, { scopes: ["operator.read"] }, (client) =>
      client.request<{ models: ModelListEntry[] }>("models.list", {}),
    );
    listed = result.models;
  } catch (err) {
    if (!local || !gatewayDown(err)) throw err;
    process.stderr.write(`keel: the gateway is not running; listing the models in ${local.path}\n`);
    const { ModelRegistry } = await import("../models/registry.js");
    listed = new ModelRegistry(local.config).list().models;
    source = "config";
  }
  const providers = local?.config.models.providers ?? {};
  const wanted = [...new Set(listed.map((m) => m.provider))].filter((p) => Object.hasOwn(providers, p));
  const probes = new Map<string, ProbeResult>();
  if (flags.probe !== false) {
    const results = await Promise.all(wanted.map((p) => probeProvider(providers[p]!, flags.timeout)));
    wanted.forEach((p, i) => probes.set(p, results[i]!));
  }
  const rows = listed.map((m) => withLastError(row(m, probes, flags.probe === false), m));
  if (flags.json) {
    out.json({ source, models: rows });
    return EXIT.ok;
  }
  if (rows.length === 0) {
    out.line("no models configured (add them under models.providers.<id>.models)");
    return EXIT.ok;
  }
  out.table(
    ["model", "provider", "context", "state"],
    rows.map((r) => [
      `${r.provider}/${r.id}`,
      r.provider,
      r.contextWindow.toLocaleString("en-US"),
      paintState(out, r.state) + (r.detail ? out.paint(` (${r.detail})`, "dim") : ""),
    ]),
  );
  return EXIT.ok;
}

async function localConfigOrNote(stateDir: string, configFlag: string | undefined) {
  try {
    return await loadLocalConfig(stateDir, configFlag);
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode !== EXIT.config) throw err;
    const first = err.message.split("\n").slice(1, 2).join("").trim();
    process.stderr.write(`keel: cannot load the local config here (${first}); providers are not probed\n`);
    return undefined;
  }
}

function row(m: ModelListEntry, probes: ReadonlyMap<string, ProbeResult>, skipped: boolean): ModelRow {
  const base = { id: m.id, name: m.name, provider: m.provider, contextWindow: m.contextWindow };
  // The gateway's own verdict comes first: a cooled model gets no turns whatever a probe says.
  const held = m.cooldowns?.find((c) => c.state !== "expired");
  if (m.state !== undefined && m.state !== "ok" && held) {
    const who = held.credential ?? held.endpoint ?? held.provider;
    return { ...base, state: m.state, detail: `${held.kind} on ${who} until ${held.until}` };
  }
  if (skipped) return { ...base, state: "not probed" };
  const p = probes.get(m.provider);
  if (!p) return { ...base, state: "unknown", detail: "provider not in the local config" };
  switch (p.state) {
    case "ok":
      return p.models && !p.models.includes(m.id)
        ? { ...base, state: "not served", detail: `the provider's list lacks "${m.id}"` }
        : { ...base, state: "ok" };
    case "auth":
      return { ...base, state: "key rejected", detail: p.message };
    case "http":
      return { ...base, state: "provider error", detail: p.message };
    default:
      return { ...base, state: "provider unreachable", detail: p.message };
  }
}

/** A model that answers now but failed before says so: the kind and when (a 404 cools nothing). */
function withLastError(r: ModelRow, m: ModelListEntry): ModelRow {
  if (m.lastError === undefined || r.detail !== undefined) return r;
  return { ...r, detail: `last error ${m.lastError.kind} at ${m.lastError.at}` };
}

function paintState(out: Out, state: string): string {
  if (state === "ok") return out.paint(state, "green");
  if (state === "unknown" || state === "not probed") return state;
  return out.paint(state, "red");
}
