// `keel gateway run`: load config, start the gateway in the foreground, drain and stop on a signal, restart on SIGUSR1.
import { mkdirSync } from "node:fs";
import { loadProfileSecrets } from "../config/credentials.js";
import { loadAtStart, type StartLoad } from "../config/fallback.js";
import { ConfigError } from "../config/load.js";
import { resolveConfigPath, resolveStateDir } from "../config/paths.js";
import { secretValues } from "../config/walk.js";
import { LockError } from "../lifecycle/lock.js";
import { createLogger, logDir } from "../lifecycle/logger.js";
import { handleSignals } from "../lifecycle/signals.js";
import { SecretError } from "../server/secret.js";
import { type GatewayHandle, PortInUseError, start } from "../server/start.js";
import { CliError, EXIT } from "./errors.js";

export interface RunFlags {
  port?: number;
  bind?: "loopback" | "lan";
  token?: string;
  password?: string;
  stateDir?: string;
  config?: string;
}

/**
 * Runs until a signal; resolves with the exit code. SIGUSR1 (`keel gateway restart`) drains and
 * closes the gateway, then starts it again in this process from the file as it is now, which is
 * how `restart` keys changed by a reload take effect.
 */
export async function gatewayRun(flags: RunFlags): Promise<number> {
  const stateDir = resolveStateDir(flags.stateDir);
  const configPath = resolveConfigPath(stateDir, flags.config);
  for (;;) {
    const outcome = await runOnce(stateDir, configPath, flags);
    if (outcome !== "restart") return outcome;
  }
}

/** One gateway lifetime: its exit code, or "restart". */
async function runOnce(stateDir: string, configPath: string, flags: RunFlags): Promise<number | "restart"> {
  const load = { path: configPath, flags: flagOverrides(flags) };
  let boot: StartLoad;
  try {
    boot = loadAtStart(load, stateDir);
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(err.message, EXIT.config, "fix the keys above and start again");
    throw err;
  }
  const { loaded, rejected } = boot;
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const { config } = loaded;
  const { logger, closeLog, credentials, maskConfig } = openLog(stateDir, boot);
  if (rejected) {
    logger.error(
      { configPath, problems: rejected.problems },
      `${new ConfigError(configPath, rejected.problems).message}\nstarted on the last good config instead`,
    );
  }

  // Signals are handled from before the listener exists, so a SIGTERM right after
  // "listening" (or during startup) is a graceful stop, not a kill.
  const starting = start({ config, stateDir, logger, loaded, credentials, reload: load, rejected });
  let exitWith: (code: number | "restart") => void = () => {};
  const exited = new Promise<number | "restart">((resolve) => {
    exitWith = resolve;
  });
  // The drain time is a hot key: read when the signal comes, from the config then in effect.
  const live = async () => starting.catch(() => undefined);
  const drainMs = (gw: GatewayHandle | undefined) => gw?.config.current().gateway.drainTimeoutMs ?? 0;
  let liveHandle: GatewayHandle | undefined;
  const removeSignals = handleSignals({
    close: async (reason) => {
      const gw = await live();
      await gw?.close(reason, { drainMs: drainMs(gw) });
    },
    restart: async () => {
      const gw = await live();
      await gw?.close("restart", { drainMs: drainMs(gw) });
    },
    timeoutMs: () => config.gateway.shutdownTimeoutMs + drainMs(liveHandle),
    onMessage: (msg) => logger.info(msg),
    exit: (code) => exitWith(code),
  });
  try {
    liveHandle = await starting;
  } catch (err) {
    removeSignals();
    await closeLog();
    if (err instanceof LockError || err instanceof PortInUseError || err instanceof SecretError) {
      throw new CliError(err.message, EXIT.error);
    }
    throw err;
  }
  const gateway = liveHandle;
  gateway.config.subscribe((next) => {
    maskConfig(next);
  });
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

/** The log for one lifetime (its level and files are `restart` keys), with every secret masked. */
function openLog(stateDir: string, { loaded }: StartLoad) {
  const { config } = loaded;
  // Resolved before the logger exists, so the profiles' keys are masked in every line it writes.
  const credentials = loadProfileSecrets(config.auth, { stateDir });
  const keys = [...credentials.keys.values()].map((s) => s.key);
  const masked = [...secretValues(config), ...keys];
  // A reload may bring new secrets (a provider's apiKey): masked from then on; old ones stay masked.
  const maskConfig = (next: typeof config) => {
    const profileKeys = [...loadProfileSecrets(next.auth, { stateDir }).keys.values()].map((s) => s.key);
    for (const value of [...secretValues(next), ...profileKeys])
      if (!masked.includes(value)) masked.push(value);
  };
  const { logger, close: closeLog } = createLogger({
    level: config.logging.level,
    dir: logDir(stateDir),
    maxFileBytes: config.logging.maxFileBytes,
    maxFiles: config.logging.maxFiles,
    secrets: masked,
    pretty: process.stdout.isTTY === true,
  });
  for (const w of [...loaded.warnings, ...credentials.warnings]) logger.warn(w);
  if (loaded.envProviders.length > 0) {
    logger.info(
      { providers: loaded.envProviders },
      "no models.providers in the config: using the provider the environment configures",
    );
  }
  if (!loaded.exists) logger.info({ configPath: loaded.path }, "no config file; running on defaults");
  return { logger, closeLog, credentials, maskConfig };
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
