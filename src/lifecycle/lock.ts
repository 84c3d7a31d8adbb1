// One gateway per state dir: a lock file holding the owner's pid.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

export class LockError extends Error {
  readonly pid: number | undefined;
  constructor(message: string, pid?: number) {
    super(message);
    this.name = "LockError";
    this.pid = pid;
  }
}

export interface StateLock {
  path: string;
  release(): void;
}

/**
 * Takes `<stateDir>/gateway.lock`. A lock whose pid is alive means another gateway owns the
 * state dir; a lock left by a dead process (kill -9, OOM) is taken over.
 */
export function acquireStateLock(stateDir: string, pid: number = process.pid): StateLock {
  const path = join(stateDir, "gateway.lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify({ pid, startedAt: new Date().toISOString() }));
      closeSync(fd);
      return {
        path,
        release: () => {
          // Only remove the lock if it is still ours.
          if (readOwner(path) === pid) tryUnlink(path);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = readOwner(path);
      if (owner !== undefined && owner !== pid && isAlive(owner)) {
        throw new LockError(`gateway already running (pid ${owner}) for state dir ${stateDir}`, owner);
      }
      // Stale or unreadable: the owner is gone. Remove and retry.
      tryUnlink(path);
    }
  }
  throw new LockError(`could not take the state lock ${path}`);
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number((JSON.parse(readFileSync(path, "utf8")) as { pid?: unknown }).pid);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
