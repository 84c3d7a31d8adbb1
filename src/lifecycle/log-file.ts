// The log file: keel.log appended in batches once per event-loop turn, rotated by size between writes.
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

export interface LogFileOptions {
  dir: string;
  /** Size past which keel.log is rotated (bytes). */
  maxFileBytes: number;
  /** Rotated files kept (keel.log.1 newest … keel.log.N oldest). */
  maxFiles: number;
  /** The clock the once-a-second check for a removed keel.log reads (tests set it). */
  now?: () => number;
}

/**
 * `<dir>/keel.log`. Lines are collected and appended together once per event-loop turn (one
 * write call per batch, not per line; an append to the page cache, so no thread hop for it).
 * Past `maxFileBytes` the file becomes keel.log.1 (older ones shift up; past `maxFiles` the
 * oldest goes), between two writes, so no line is split or reordered across files, and a file
 * passes its size by one line at most. A full disk or a failed rename is never the gateway's
 * error: those lines are lost, the process goes on.
 */
export class LogFile {
  readonly path: string;
  #fd: number;
  #size: number;
  #pending: string[] = [];
  #scheduled = false;
  #closed = false;
  #checkedAt: number;

  /** The lines of the last turn still go out when the process exits without closing the log. */
  readonly #onExit = () => this.flush();

  constructor(private readonly options: LogFileOptions) {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.path = join(options.dir, "keel.log");
    this.#fd = openSync(this.path, "a", 0o600);
    this.#size = fstatSync(this.#fd).size;
    this.#checkedAt = this.#now();
    process.once("exit", this.#onExit);
  }

  /** One serialised line (pino's multistream calls this). */
  write(line: string): boolean {
    if (this.#closed) return false;
    this.#pending.push(line);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Appends every pending line now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    // keel.log removed or moved from under us (by hand, or a log shipper): a new one within a
    // second (a stat per second, not per batch).
    const now = this.#now();
    if (now - this.#checkedAt >= 1_000) {
      this.#checkedAt = now;
      if (!existsSync(this.path)) this.#reopen();
    }
    while (this.#pending.length > 0) {
      if (this.#size > this.options.maxFileBytes) this.#rotate();
      // A batch ends where the file would pass its size: the rest goes after the rotation.
      let bytes = 0;
      let take = 0;
      while (take < this.#pending.length) {
        const next = Buffer.byteLength(this.#pending[take]!);
        if (take > 0 && this.#size + bytes + next > this.options.maxFileBytes) break;
        bytes += next;
        take++;
      }
      const batch = Buffer.from(
        take === this.#pending.length ? this.#pending.join("") : this.#pending.slice(0, take).join(""),
      );
      this.#pending = take === this.#pending.length ? [] : this.#pending.slice(take);
      let written = 0;
      try {
        while (written < batch.length) written += writeSync(this.#fd, batch, written);
      } catch {
        // A failed write (a full disk) loses the rest of its batch; the next one tries again.
      }
      // Only what reached the file counts towards its size: lost lines do not bring a rotation closer.
      this.#size += written;
    }
  }

  /** Writes what is pending, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    process.removeListener("exit", this.#onExit);
    try {
      closeSync(this.#fd);
    } catch {
      // Already gone: nothing left to write.
    }
  }

  #rotate(): void {
    this.#size = 0;
    const { maxFiles } = this.options;
    try {
      rmSync(`${this.path}.${maxFiles}`, { force: true });
      for (let i = maxFiles - 1; i >= 1; i--) {
        if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      }
      // Gone already (removed by hand): nothing to keep, a new keel.log starts all the same.
      if (existsSync(this.path)) renameSync(this.path, `${this.path}.1`);
    } catch {
      // A shift that failed leaves a file or two unrotated; keel.log still starts anew below.
    }
    this.#reopen();
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }

  /**
   * Points the writer at keel.log, created if missing. The old descriptor stays until the new
   * one is open: if keel.log cannot be opened now, lines go on where they went and the next
   * batch tries again.
   */
  #reopen(): void {
    try {
      const fd = openSync(this.path, "a", 0o600);
      closeSync(this.#fd);
      this.#fd = fd;
      this.#size = fstatSync(fd).size;
    } catch {
      this.#size = this.options.maxFileBytes + 1;
    }
  }
}
