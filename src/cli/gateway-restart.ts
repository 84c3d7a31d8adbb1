// `keel gateway restart`: asks the local gateway (SIGUSR1) to drain and start again, then waits until it is back.
import { setTimeout as sleep } from "node:timers/promises";
import { resolveStateDir } from "../config/paths.js";
import { type LockInfo, readStateLock } from "../lifecycle/lock.js";
import { CliError, EXIT } from "./errors.js";
import { Out } from "./output.js";

export interface RestartFlags {
  stateDir?: string;
  /** How long to wait for the gateway to be back (ms); its drain time counts in it. */
  timeout?: number;
  json?: boolean;
}

const DEFAULT_WAIT_MS = 180_000;

/**
 * Signals the gateway that owns the state dir's lock. It drains its runs (gateway.drainTimeoutMs),
 * closes, and starts again in the same process from the config file as it is now, so `restart`
 * keys waiting in `status.config.pendingRestart` take effect. Resolves once the new start answers
 * /startupz with 200; exit 1 when no gateway runs or it is not back in time.
 */
export async function gatewayRestart(flags: RestartFlags): Promise<number> {
  const out = new Out();
  const stateDir = resolveStateDir(flags.stateDir);
  const before = readStateLock(stateDir);
  if (!before) {
    throw new CliError(
      `no gateway is running for ${stateDir}`,
      EXIT.error,
      "start one with `keel gateway run` (or pass --state-dir for another one)",
    );
  }
  try {
    process.kill(before.pid, "SIGUSR1");
  } catch (err) {
    throw new CliError(
      `cannot signal the gateway (pid ${before.pid}): ${(err as Error).message}`,
      EXIT.error,
    );
  }
  const waitMs = flags.timeout ?? DEFAULT_WAIT_MS;
  const after = await backAgain(stateDir, before, Date.now() + waitMs);
  if (!after) {
    throw new CliError(
      `the gateway (pid ${before.pid}) was not back within ${waitMs} ms`,
      EXIT.error,
      "see `keel logs` for what it is doing (draining runs, or a failed start)",
    );
  }
  if (flags.json) out.json({ restarted: true, pid: after.pid, port: after.port });
  else out.line(`gateway restarted (pid ${after.pid}, port ${after.port})`);
  return EXIT.ok;
}

/** The lock of the new start once it listens and says started; undefined past the deadline. */
async function backAgain(
  stateDir: string,
  before: LockInfo,
  deadline: number,
): Promise<LockInfo | undefined> {
  while (Date.now() < deadline) {
    const now = readStateLock(stateDir);
    if (now?.port !== undefined && now.startedAt !== before.startedAt && (await started(now.port)))
      return now;
    await sleep(100);
  }
  return undefined;
}

async function started(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/startupz`, { signal: AbortSignal.timeout(2_000) });
    return res.status === 200;
  } catch {
    return false;
  }
}
