// `keel gateway run`: load config, start the gateway in the foreground, stop on a signal.
import { mkdirSync } from "node:fs";
import { loadProfileSecrets } from "../config/credentials.js";
import { ConfigError, loadConfig } from "../config/load.js";
import { resolveConfigPath, resolveStateDir } from "../config/paths.js";
import { secretValues } from "../config/walk.js";
import { LockError } from "../lifecycle/lock.js";
import { createLogger, logDir } from "../lifecycle/logger.js";
import { handleSignals } from "../lifecycle/signals.js";
import { SecretError } from "../server/secret.js";
import { PortInUseError, start } from "../server/start.js";
import { CliError, EXIT } from "./errors.js";

export interface RunFlags {
  port?: number;
  bind?: "loopback" | "lan";
  token?: string;
  password?: string;
  stateDir?: string;
  config?: string;
}

/** Runs until a signal; resolves with the exit code. */
export async function gatewayRun(flags: RunFlags): Promise<number> {
  const stateDir = resolveStateDir(flags.stateDir);
  const configPath = resolveConfigPath(stateDir, flags.config);
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig({ path: configPath, flags: flagOverrides(flags) });
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(err.message, EXIT.config, "fix the keys above and start again");
    throw err;
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const { config } = loaded;
  // Resolved before the logger exists, so the profiles' keys are masked in every line it writes.
  const credentials = loadProfileSecrets(config.auth, { stateDir });
  const { logger, close: closeLog } = createLogger({
    level: config.logging.level,
    dir: logDir(stateDir),
    maxFileBytes: config.logging.maxFileBytes,
    maxFiles: config.logging.maxFiles,
    secrets: [...secretValues(config), ...[...credentials.keys.values()].map((s) => s.key)],
    pretty: process.stdout.isTTY === true,
  });
  for (const w of [...loaded.warnings, ...credentials.warnings]) logger.warn(w);
  if (loaded.envProviders.length > 0) {
    logger.info(
      { providers: loaded.envProviders },
      "no models.providers in the config: using the provider the environment configures",
    );
  }
  if (!loaded.exists) logger.info({ configPath }, "no config file; running on defaults");

  // Signals are handled from before the listener exists, so a SIGTERM right after
  // "listening" (or during startup) is a graceful stop, not a kill.
  const starting = start({ config, stateDir, logger, loaded, credentials });
  let exitWith: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    exitWith = resolve;
  });
  const removeSignals = handleSignals({
    close: async (reason) => (await starting.catch(() => undefined))?.close(reason),
    timeoutMs: config.gateway.shutdownTimeoutMs,
    onMessage: (msg) => logger.info(msg),
    exit: (code) => exitWith(code),
  });
  let gateway: Awaited<typeof starting>;
  try {
    gateway = await starting;
  } catch (err) {
    removeSignals();
    await closeLog();
    if (err instanceof LockError || err instanceof PortInUseError || err instanceof SecretError) {
      throw new CliError(err.message, EXIT.error);
    }
    throw err;
  }
  gateway.ready.catch(async (err: Error) => {
    logger.fatal(`startup failed: ${err.message}`);
    await gateway.close("startup failed");
    exitWith(EXIT.error);
  });
  const code = await exited;
  removeSignals();
  await closeLog();
  return code;
}

function flagOverrides(flags: RunFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (flags.port !== undefined) out["gateway.port"] = flags.port;
  if (flags.bind !== undefined) out["gateway.bind"] = flags.bind;
  if (flags.token !== undefined) {
    out["gateway.auth.token"] = flags.token;
    out["gateway.auth.mode"] = "token";
  } else if (flags.password !== undefined) {
    out["gateway.auth.password"] = flags.password;
    out["gateway.auth.mode"] = "password";
  }
  return out;
}
