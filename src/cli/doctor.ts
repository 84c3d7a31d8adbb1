// `keel doctor`: checks the state dir, config, token, models, port and a running gateway, in plain words.
import { accessSync, constants, statSync } from "node:fs";
import { createServer } from "node:net";
import type { LoadedConfig } from "../config/load.js";
import { resolveConfigPath, resolveStateDir } from "../config/paths.js";
import { tokenFilePath } from "../server/secret.js";
import { modelChecks } from "./doctor-models.js";
import { CliError, EXIT } from "./errors.js";
import { Out } from "./output.js";
import { connectTarget } from "./session.js";
import { type ClientFlags, loadLocalConfig, readTokenFile, resolveTarget } from "./target.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface Check {
  name: string;
  status: CheckStatus;
  message: string;
  hint?: string;
}

/** Runs every check, prints them, exits 1 if any failed (warnings do not fail). */
export async function doctor(flags: ClientFlags): Promise<number> {
  const out = new Out();
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  const stateDir = resolveStateDir(flags.stateDir);
  add(checkStateDir(stateDir));
  const loaded = await checkConfig(stateDir, flags.config, add);
  if (loaded) add(checkToken(loaded, stateDir));
  if (loaded) for (const c of await modelChecks(loaded.config, flags.timeout)) add(c);
  const explicit = flags.url !== undefined;
  let portUsed = explicit;
  if (loaded && !explicit && loaded.config.gateway.port !== 0) {
    const port = loaded.config.gateway.port;
    portUsed = !(await portFree(port));
    add({
      name: "port",
      status: "ok",
      message: portUsed ? `${port} is in use (by a gateway, checked next)` : `${port} is free`,
    });
  }
  if (loaded || explicit) add(await checkGateway(flags, portUsed));
  const failed = checks.some((c) => c.status === "fail");
  if (flags.json) out.json({ ok: !failed, checks });
  else printChecks(out, checks);
  return failed ? EXIT.error : EXIT.ok;
}

function checkStateDir(dir: string): Check {
  const name = "state dir";
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch {
    return {
      name,
      status: "warn",
      message: `${dir} does not exist yet`,
      hint: "`keel gateway run` creates it",
    };
  }
  if (!st.isDirectory()) return { name, status: "fail", message: `${dir} is not a directory` };
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return {
      name,
      status: "fail",
      message: `${dir} is not writable by this user`,
      hint: "fix its owner or mode",
    };
  }
  const mode = (st.mode & 0o777).toString(8);
  if ((st.mode & 0o077) !== 0) {
    return {
      name,
      status: "warn",
      message: `${dir} is readable by other users (mode ${mode}); it holds the token and transcripts`,
      hint: `chmod 700 ${dir}`,
    };
  }
  return { name, status: "ok", message: `${dir} (mode ${mode})` };
}

async function checkConfig(
  stateDir: string,
  flag: string | undefined,
  add: (c: Check) => void,
): Promise<LoadedConfig | undefined> {
  const path = resolveConfigPath(stateDir, flag);
  try {
    const loaded = await loadLocalConfig(stateDir, flag);
    const bad = Object.entries(loaded.sections).filter(([, s]) => !s.ok);
    const what = loaded.exists ? `${path} is valid` : `no config file at ${path}; defaults in use`;
    add({ name: "config", status: "ok", message: what });
    for (const [section, s] of bad) {
      const list = s.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
      add({ name: "config", status: "warn", message: `section ${section} is disabled: ${list}` });
    }
    for (const w of loaded.warnings) add({ name: "config", status: "warn", message: `environment: ${w}` });
    return loaded;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    add({
      name: "config",
      status: "fail",
      message: err.message.replace(/\n\s*/g, " "),
      hint: "fix the keys listed",
    });
    return undefined;
  }
}

function checkToken(loaded: LoadedConfig, stateDir: string): Check {
  const name = "auth";
  const { auth, bind } = loaded.config.gateway;
  if (auth.mode === "none") {
    return {
      name,
      status: "warn",
      message: 'gateway.auth.mode is "none": any local process can operate the gateway',
    };
  }
  if (auth.mode === "password") {
    return auth.password
      ? { name, status: "ok", message: "password auth, password set" }
      : { name, status: "fail", message: 'gateway.auth.mode is "password" but no password is set' };
  }
  if (auth.token)
    return { name, status: "ok", message: "token auth, token set in the config or environment" };
  const file = tokenFilePath(stateDir);
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    return {
      name,
      status: "warn",
      message: `no token yet (${file} does not exist)`,
      hint: "the gateway generates it on first start",
    };
  }
  const token = readTokenFile(file);
  if (!token || token.length < 16) {
    return {
      name,
      status: "fail",
      message: `${file} is empty or too short`,
      hint: "delete it; the gateway makes a new one",
    };
  }
  if ((mode & 0o077) !== 0) {
    return {
      name,
      status: "fail",
      message: `${file} is readable by other users (mode ${mode.toString(8)})${bind === "lan" ? " and the gateway listens on the LAN" : ""}`,
      hint: `chmod 600 ${file}`,
    };
  }
  return { name, status: "ok", message: `token auth, token in ${file} (mode ${mode.toString(8)})` };
}

async function checkGateway(flags: ClientFlags, portUsed: boolean): Promise<Check> {
  const name = "gateway";
  if (!portUsed) {
    return { name, status: "warn", message: "not running", hint: "start it with `keel gateway run`" };
  }
  try {
    const target = await resolveTarget(flags);
    const t0 = performance.now();
    await using client = await connectTarget(target, { scopes: ["operator.read"] });
    const ms = Math.round(performance.now() - t0);
    const version = client.hello.server?.version ?? "?";
    return {
      name,
      status: "ok",
      message: `reachable at ${target.url}, credentials accepted (keel ${version}, ${ms} ms)`,
    };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    return { name, status: "fail", message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
}

/** Whether nothing listens on 127.0.0.1:port (we can bind it ourselves for a moment). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function printChecks(out: Out, checks: readonly Check[]): void {
  const mark = {
    ok: out.paint("ok  ", "green"),
    warn: out.paint("warn", "yellow"),
    fail: out.paint("FAIL", "red"),
  };
  const w = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    out.line(`${mark[c.status]}  ${c.name.padEnd(w)}  ${c.message}`);
    if (c.hint) out.line(`      ${" ".repeat(w)}  ${out.paint(`→ ${c.hint}`, "dim")}`);
  }
  const failed = checks.filter((c) => c.status === "fail").length;
  out.line(failed ? out.paint(`${failed} problem(s) found`, "red") : out.paint("no problems found", "green"));
}
