// One gateway per state dir: a lock file holding the owner's pid and, once it listens, where.
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
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
  /** Adds where the gateway listens, so local CLI commands find it whatever port it was given. */
  recordListener(listener: { port: number; host: string }): void;
  release(): void;
}

/** What the lock file says about a live gateway. */
export interface LockInfo {
  pid: number;
  startedAt?: string;
  /** Set once the gateway listens. */
  port?: number;
  host?: string;
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
      const owner = { pid, startedAt: new Date().toISOString() };
      writeSync(fd, JSON.stringify(owner));
      closeSync(fd);
      return {
        path,
        recordListener: ({ port, host }) => {
          // Temp file + rename: a reader sees the old or the new content, never a torn one.
          const tmp = `${path}.${pid}.tmp`;
          writeFileSync(tmp, JSON.stringify({ ...owner, port, host }), { mode: 0o600 });
          renameSync(tmp, path);
        },
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

/**
 * The lock of `<stateDir>/gateway.lock` when its owner is alive; undefined when there is none, it
 * is unreadable, or its process is gone (a kill -9 leaves the file behind).
 */
export function readStateLock(stateDir: string): LockInfo | undefined {
  const info = readLock(join(stateDir, "gateway.lock"));
  if (!info || !isAlive(info.pid)) return undefined;
  return info;
}

function readLock(path: string): LockInfo | undefined {
  try {
    const raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    const pid = Number(raw["pid"]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const port = Number(raw["port"]);
    return {
      pid,
      ...(typeof raw["startedAt"] === "string" ? { startedAt: raw["startedAt"] } : {}),
      ...(Number.isInteger(port) && port > 0 && port <= 65_535 ? { port } : {}),
      ...(typeof raw["host"] === "string" ? { host: raw["host"] } : {}),
    };
  } catch {
    return undefined;
  }
}

function readOwner(path: string): number | undefined {
  return readLock(path)?.pid;
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
