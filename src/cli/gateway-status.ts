// `keel gateway status`: is the gateway running where we think, and who is it (short form).
import type { GatewayClient } from "../client/client.js";
import { CliError, EXIT } from "./errors.js";
import { duration, Out } from "./output.js";
import { connectTarget, explain } from "./session.js";
import type { StatusResult } from "./status.js";
import { type ClientFlags, resolveTarget, type Target } from "./target.js";

const SOURCE_WORDS: Record<Target["credentialSource"], string> = {
  flag: "from the command line",
  env: "from KEEL_GATEWAY_TOKEN/PASSWORD",
  config: "from the config",
  "token-file": "from the token file",
  none: "none sent",
};

/** Connects, reads `status`, prints one block; exit 1 when the gateway cannot be reached or refuses us. */
export async function gatewayStatus(flags: ClientFlags): Promise<number> {
  const out = new Out();
  const target = await resolveTarget(flags);
  const t0 = performance.now();
  let client: GatewayClient;
  try {
    client = await connectTarget(target, { scopes: ["operator.read"] });
  } catch (err) {
    if (flags.json && err instanceof CliError) {
      throw new CliError(err.message, err.exitCode, err.hint, {
        url: target.url,
        local: target.local,
        running: false,
        error: err.message,
      });
    }
    throw err;
  }
  const connectMs = Math.round(performance.now() - t0);
  let st: StatusResult;
  try {
    st = await client.request<StatusResult>("status", {});
  } catch (err) {
    throw explain(err, target);
  } finally {
    await client.close();
  }
  const summary = {
    url: target.url,
    local: target.local,
    running: true,
    connectMs,
    version: st.version,
    pid: st.pid,
    uptimeMs: st.uptimeMs,
    startup: st.startup?.phase,
    authMode: st.authMode,
    credentials: target.credentialSource,
  };
  if (flags.json) {
    out.json(summary);
    return EXIT.ok;
  }
  out.rows([
    ["Gateway", `${out.paint("running", "green")} at ${target.url}${target.local ? " (local)" : ""}`],
    ["Version", `keel ${st.version ?? "?"}, pid ${st.pid ?? "?"}`],
    ["Uptime", st.uptimeMs === undefined ? "?" : duration(st.uptimeMs)],
    ["Startup", st.startup?.phase ?? "?"],
    ["Auth", `${st.authMode ?? "?"} (credentials ${SOURCE_WORDS[target.credentialSource]})`],
    ["Connect", `${connectMs} ms`],
  ]);
  return EXIT.ok;
}
