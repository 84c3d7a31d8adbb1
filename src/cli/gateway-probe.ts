// `keel gateway probe`: reachable? what may these credentials do? does a read work?
import { ClientError, RequestError } from "../client/errors.js";
import { CliError, EXIT } from "./errors.js";
import { Out } from "./output.js";
import { connectTarget, explain } from "./session.js";
import { type ClientFlags, resolveTarget } from "./target.js";

export type Capability = "admin-capable" | "write-capable" | "read-only" | "connect-only";

export interface ProbeReport {
  url: string;
  local: boolean;
  reachable: boolean;
  connectMs?: number;
  /** Set when connected: what the granted scopes allow. */
  capability?: Capability;
  scopes?: string[];
  /** The refusal or transport error, in words. */
  error?: string;
  readProbe?: { ok: boolean; method: string; ms?: number; error?: string };
}

/** From the scopes hello-ok granted. */
export function capabilityOf(scopes: readonly string[]): Capability {
  if (scopes.includes("operator.admin")) return "admin-capable";
  if (scopes.includes("operator.write")) return "write-capable";
  if (scopes.includes("operator.read")) return "read-only";
  return "connect-only";
}

/**
 * Asks for read+write+admin and reports what was granted, then runs `health` as the read probe.
 * Exits non-zero only when nothing answered at the URL: a gateway that refuses our credentials
 * is still reachable, and saying so is the point of the probe.
 */
export async function gatewayProbe(flags: ClientFlags): Promise<number> {
  const out = new Out();
  const target = await resolveTarget(flags);
  const report: ProbeReport = { url: target.url, local: target.local, reachable: false };
  const t0 = performance.now();
  try {
    await using client = await connectTarget(target, {
      scopes: ["operator.read", "operator.write", "operator.admin"],
    });
    report.reachable = true;
    report.connectMs = Math.round(performance.now() - t0);
    report.scopes = [...(client.hello.auth?.scopes ?? [])];
    report.capability = capabilityOf(report.scopes);
    const t1 = performance.now();
    try {
      await client.request("health", {});
      report.readProbe = { ok: true, method: "health", ms: Math.round(performance.now() - t1) };
    } catch (err) {
      const e = explain(err, target);
      report.readProbe = { ok: false, method: "health", error: e instanceof Error ? e.message : String(e) };
    }
  } catch (err) {
    // A refusal of connect (auth, protocol, still starting) came from a live gateway.
    if (!(err instanceof CliError)) throw err;
    report.reachable = reachedGateway(err);
    report.error = err.message;
  }
  if (flags.json) out.json(report);
  else printProbe(out, report);
  return report.reachable ? EXIT.ok : EXIT.error;
}

/** Did the failed connect talk to a gateway (a refusal or a close after the challenge)? */
function reachedGateway(err: unknown): boolean {
  const cause = err instanceof CliError ? err.cause : err;
  if (cause instanceof RequestError) return true;
  if (cause instanceof ClientError) return cause.stage === "hello" || cause.stage === "open";
  return false;
}

function printProbe(out: Out, r: ProbeReport): void {
  const yes = (s: string) => out.paint(s, "green");
  const no = (s: string) => out.paint(s, "red");
  const rows: [string, string][] = [
    ["Target", `${r.url}${r.local ? " (local)" : ""}`],
    [
      "Reachable",
      r.reachable ? yes(`yes${r.connectMs !== undefined ? ` (connect ${r.connectMs} ms)` : ""}`) : no("no"),
    ],
  ];
  if (r.capability)
    rows.push(["Capability", `${r.capability} (${(r.scopes ?? []).join(", ") || "no scopes"})`]);
  else if (r.error) rows.push([r.reachable ? "Refused" : "Error", r.error]);
  if (r.readProbe) {
    rows.push([
      "Read probe",
      r.readProbe.ok
        ? yes(`ok (${r.readProbe.method} ${r.readProbe.ms} ms)`)
        : no(`failed: ${r.readProbe.error}`),
    ]);
  } else rows.push(["Read probe", "skipped (not connected)"]);
  out.rows(rows);
}
