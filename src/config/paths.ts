// Where state and config live, and the client-side env vars: flag > env > default.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

type Env = Record<string, string | undefined>;

/** `--state-dir` → KEEL_STATE_DIR → ~/.keel */
export function resolveStateDir(flag?: string, env: Env = process.env): string {
  const dir = flag ?? env["KEEL_STATE_DIR"];
  return resolve(dir && dir.length > 0 ? dir : defaultStateDir());
}

/** `--config` → KEEL_CONFIG_PATH → <state>/keel.json */
export function resolveConfigPath(stateDir: string, flag?: string, env: Env = process.env): string {
  const path = flag ?? env["KEEL_CONFIG_PATH"];
  return resolve(path && path.length > 0 ? path : join(stateDir, "keel.json"));
}

/** What a client (the CLI) reads from the environment. */
export interface ClientEnv {
  url?: string;
  token?: string;
  password?: string;
}

export function clientEnv(env: Env = process.env): ClientEnv {
  const out: ClientEnv = {};
  if (env["KEEL_GATEWAY_URL"]) out.url = env["KEEL_GATEWAY_URL"];
  if (env["KEEL_GATEWAY_TOKEN"]) out.token = env["KEEL_GATEWAY_TOKEN"];
  if (env["KEEL_GATEWAY_PASSWORD"]) out.password = env["KEEL_GATEWAY_PASSWORD"];
  return out;
}

/** Whether stdout is a terminal and colour is wanted (NO_COLOR respected). */
export function wantsColor(isTTY: boolean | undefined, env: Env = process.env): boolean {
  return Boolean(isTTY) && env["NO_COLOR"] === undefined && env["TERM"] !== "dumb";
}

/** `~/.keel`: the state dir when neither --state-dir nor KEEL_STATE_DIR is given. */
export function defaultStateDir(): string {
  return join(homedir(), ".keel");
}

/** Where `keel gateway install` writes its unit: $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user. */
export function systemdUserUnitDir(env: Env = process.env): string {
  const base = env["XDG_CONFIG_HOME"];
  // The XDG spec says a relative value is invalid and to be ignored.
  return resolve(base && isAbsolute(base) ? base : join(homedir(), ".config"), "systemd", "user");
}

/** Whether a terminal can show an animation redrawn in place (a spinner): a TTY that is not "dumb". */
export function wantsAnimation(isTTY: boolean | undefined, env: Env = process.env): boolean {
  return Boolean(isTTY) && env["TERM"] !== "dumb";
}

/** Outbound proxy settings for provider calls (HTTPS_PROXY / HTTP_PROXY / NO_PROXY, either case). */
export interface OutboundProxy {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

export function outboundProxy(env: Env = process.env): OutboundProxy {
  const pick = (name: string) => env[name] || env[name.toLowerCase()] || undefined;
  const out: OutboundProxy = {};
  const http = pick("HTTP_PROXY");
  const https = pick("HTTPS_PROXY") ?? http;
  const no = pick("NO_PROXY");
  if (http) out.httpProxy = http;
  if (https) out.httpsProxy = https;
  if (no) out.noProxy = no;
  return out;
}
