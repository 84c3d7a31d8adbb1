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

  constructor(private readonly options: LogFileOptions) {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.path = join(options.dir, "keel.log");
    this.#fd = openSync(this.path, "a", 0o600);
    this.#size = fstatSync(this.#fd).size;
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
      this.#size += batch.length;
      try {
        for (let off = 0; off < batch.length;) off += writeSync(this.#fd, batch, off);
      } catch {
        // A failed write (a full disk) loses its batch; the next one tries again.
      }
    }
  }

  /** Writes what is pending, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    try {
      closeSync(this.#fd);
    } catch {
      // Already gone: nothing left to write.
    }
  }

  #rotate(): void {
    this.#size = 0;
    try {
      const { maxFiles } = this.options;
      rmSync(`${this.path}.${maxFiles}`, { force: true });
      for (let i = maxFiles - 1; i >= 1; i--) {
        if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      }
      renameSync(this.path, `${this.path}.1`);
      // Opened before the old one is closed: if it cannot be, lines go on into keel.log.1.
      const fd = openSync(this.path, "a", 0o600);
      closeSync(this.#fd);
      this.#fd = fd;
    } catch {
      // A rotation that failed leaves one growing file; the next batch past the size tries again.
    }
  }
}
