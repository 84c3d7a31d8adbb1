// What a client command reads from the local config: the `gateway` section only (address, auth, budget).
import { readFileSync } from "node:fs";
import JSON5 from "json5";
import { ConfigError, loadConfig } from "./load.js";
import type { Config } from "./schema.js";

export interface ClientConfig {
  /** The gateway section, validated, with defaults and KEEL_GATEWAY_* overrides applied. */
  gateway: Config["gateway"];
  path: string;
  exists: boolean;
}

/**
 * Loads only the `gateway` section of the config file, the way the gateway would load it. The other
 * sections are the gateway's business: a `${LITELLM_KEY}` in a provider's apiKey must not stop
 * `keel health` in a shell without that variable. A problem in the gateway section itself is still
 * a ConfigError, since the client needs those values.
 */
export function loadClientConfig(options: {
  path: string;
  env?: Record<string, string | undefined>;
}): ClientConfig {
  const { path } = options;
  let raw: unknown;
  let exists = true;
  try {
    raw = JSON5.parse(readFileSync(path, "utf8"));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") {
      raw = {};
      exists = false;
    } else if (e.code)
      throw new ConfigError(path, [{ path: "(file)", message: `cannot read: ${e.message}` }]);
    else throw new ConfigError(path, [{ path: "(file)", message: `not valid JSON5: ${e.message}` }]);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(path, [{ path: "(root)", message: "must be an object" }]);
  }
  const gateway = (raw as Record<string, unknown>)["gateway"];
  const { config } = loadConfig({
    path,
    raw: gateway === undefined ? {} : { gateway },
    ...(options.env ? { env: options.env } : {}),
  });
  return { gateway: config.gateway, path, exists };
}
