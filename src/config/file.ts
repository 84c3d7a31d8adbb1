// Config file writes: atomic replacement (temp file, fsync, rename) and the last good copy in the state dir.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Name of the last good config's copy in the state dir. */
export const LAST_GOOD_FILE = "keel.last-good.json";

/**
 * Replaces `path` with `text` so that a crash at any instant leaves the old file or the new one,
 * never a torn one: the bytes go to a temp file in the same directory, are fsynced, then renamed
 * over the target, and the directory is fsynced so the rename itself survives a power loss.
 */
export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  const dir = dirname(path);
  // Dot-prefixed and never named like the target: a directory watcher that filters on the
  // target's name ignores the temp file and reacts only to the rename.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, "w", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  syncDir(dir);
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename has still happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The last good config's text, or undefined when none was kept (or it cannot be read). */
export function readLastGood(stateDir: string): string | undefined {
  try {
    return readFileSync(join(stateDir, LAST_GOOD_FILE), "utf8");
  } catch {
    return undefined;
  }
}

/** Keeps `text` (a config file that loaded) as the last good one; mode 0600, it may hold secrets. */
export function writeLastGood(stateDir: string, text: string): void {
  writeFileAtomic(join(stateDir, LAST_GOOD_FILE), text, 0o600);
}
