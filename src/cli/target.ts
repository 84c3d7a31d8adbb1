// Which gateway the CLI talks to, with which credentials and connect budget (flag > env > config).
import { readFileSync } from "node:fs";
import type { ClientConfig } from "../config/client.js";
import type { LoadedConfig } from "../config/load.js";
import { type ClientEnv, clientEnv, resolveConfigPath, resolveStateDir } from "../config/paths.js";
import { readStateLock } from "../lifecycle/lock.js";
import { tokenFilePath } from "../server/secret.js";
import { CliError, EXIT } from "./errors.js";

/** The flags every client command accepts. */
export interface ClientFlags {
  url?: string;
  token?: string;
  password?: string;
  /** Connect budget and request timeout (ms). */
  timeout?: number;
  stateDir?: string;
  config?: string;
  json?: boolean;
}

/** Where a credential came from (shown by doctor and in auth error hints). */
export type CredentialSource = "flag" | "env" | "config" | "token-file" | "none";

export interface Target {
  url: string;
  /** True when the URL was derived locally (no --url, no KEEL_GATEWAY_URL): the lock file or the config. */
  local: boolean;
  /** For a local target: the running gateway's lock file gave the port, or the config did. */
  portSource?: "lock" | "config";
  token?: string;
  password?: string;
  credentialSource: CredentialSource;
  /** Connect budget: --timeout, else (local) gateway.handshakeTimeoutMs, else 15 s. */
  budgetMs: number;
  /** Set for a local target: the state dir and the token file path. */
  stateDir?: string;
  tokenFile?: string;
}

/** Budget when nothing else says: the gateway's own default handshake timeout. */
export const DEFAULT_BUDGET_MS = 15_000;

/**
 * Resolves the target. URL: `--url` → KEEL_GATEWAY_URL → the port a live gateway of this state dir
 * recorded in `<state>/gateway.lock` → ws://127.0.0.1:<gateway.port>.
 * Credentials: `--token`/`--password` → KEEL_GATEWAY_TOKEN/PASSWORD → (local only) the config's
 * gateway.auth.* → <state>/gateway-token. An explicit URL never falls back to configured
 * credentials: they belong to the local gateway and must not be sent to another host.
 */
export async function resolveTarget(flags: ClientFlags, env: ClientEnv = clientEnv()): Promise<Target> {
  const explicit = flags.url ?? env.url;
  const fromFlag = credentials(flags.token, flags.password);
  const fromEnv = credentials(env.token, env.password);
  if (explicit !== undefined) {
    checkUrl(explicit);
    const chosen = fromFlag ?? fromEnv;
    return {
      url: explicit,
      local: false,
      ...chosen?.creds,
      credentialSource: fromFlag ? "flag" : fromEnv ? "env" : "none",
      budgetMs: flags.timeout ?? DEFAULT_BUDGET_MS,
    };
  }
  const stateDir = resolveStateDir(flags.stateDir);
  const { gateway } = await loadClientGateway(stateDir, flags.config);
  const { auth, handshakeTimeoutMs } = gateway;
  // The running gateway knows best where it listens (`gateway run --port N` need not match the config).
  const running = readStateLock(stateDir)?.port;
  const port = running ?? gateway.port;
  if (port === 0) {
    throw new CliError(
      `no gateway is running for ${stateDir}, and the config sets gateway.port to 0 (any free port)`,
      EXIT.error,
      "start it with `keel gateway run`, or pass --url ws://127.0.0.1:<port> for a gateway elsewhere",
    );
  }
  const tokenFile = tokenFilePath(stateDir);
  const target: Target = {
    url: `ws://127.0.0.1:${port}`,
    local: true,
    portSource: running !== undefined ? "lock" : "config",
    credentialSource: "none",
    budgetMs: flags.timeout ?? handshakeTimeoutMs ?? DEFAULT_BUDGET_MS,
    stateDir,
    tokenFile,
  };
  const chosen = fromFlag ?? fromEnv;
  if (chosen) return { ...target, ...chosen.creds, credentialSource: fromFlag ? "flag" : "env" };
  if (auth.mode === "password" && auth.password) {
    return { ...target, password: auth.password, credentialSource: "config" };
  }
  if (auth.mode === "token" && auth.token)
    return { ...target, token: auth.token, credentialSource: "config" };
  if (auth.mode === "token") {
    const token = readTokenFile(tokenFile);
    if (token) return { ...target, token, credentialSource: "token-file" };
  }
  return target;
}

/** The local config's gateway section (all a client needs); a broken one is exit 78 with its problems. */
async function loadClientGateway(stateDir: string, configFlag?: string): Promise<ClientConfig> {
  const { loadClientConfig } = await import("../config/client.js");
  return asCliError(() => loadClientConfig({ path: resolveConfigPath(stateDir, configFlag) }));
}

/** Loads the local config the way the gateway does; a broken config is exit 78 with its problems. */
export async function loadLocalConfig(stateDir: string, configFlag?: string): Promise<LoadedConfig> {
  const { loadConfig } = await import("../config/load.js");
  return asCliError(() => loadConfig({ path: resolveConfigPath(stateDir, configFlag) }));
}

/** Runs a config load; a ConfigError becomes exit 78 with every problem and what to try. */
async function asCliError<T>(load: () => T): Promise<T> {
  const { ConfigError } = await import("../config/load.js");
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new CliError(
        err.message,
        EXIT.config,
        "fix the config, or pass --url to talk to a gateway directly",
      );
    }
    throw err;
  }
}

/** The generated token, or undefined when the file is missing or unreadable. */
export function readTokenFile(file: string): string | undefined {
  try {
    const token = readFileSync(file, "utf8").trim();
    return token.length > 0 ? token : undefined;
  } catch {
    return undefined;
  }
}

function credentials(
  token: string | undefined,
  password: string | undefined,
): { creds: { token?: string; password?: string } } | undefined {
  if (token === undefined && password === undefined) return undefined;
  return {
    creds: { ...(token !== undefined ? { token } : {}), ...(password !== undefined ? { password } : {}) },
  };
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`not a URL: ${url}`, EXIT.usage, "use ws://host:port (or wss://)");
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw new CliError(`the gateway URL must start with ws:// or wss:// (got ${url})`, EXIT.usage);
  }
}
