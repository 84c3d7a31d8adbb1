// Structured logs: JSON (human-readable on a TTY) to stdout and a size-rotated file, secrets redacted.
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import pino, { type DestinationStream, type Logger } from "pino";
import { LogFile } from "./log-file.js";

export type { Logger } from "pino";

export interface LoggerOptions {
  level: string;
  /** Directory for keel.log and its rotations; omit to log to stdout only. */
  dir?: string;
  maxFileBytes?: number;
  maxFiles?: number;
  /**
   * Secret values (tokens, passwords, API keys) to mask wherever they appear in a line. Read at
   * each line, so the owner may replace its contents (a reload that adds a provider's key).
   */
  secrets?: readonly string[];
  /** Pretty output (a TTY); JSON otherwise. */
  pretty?: boolean;
  /** Where the console copy goes (stdout by default). */
  stdout?: NodeJS.WritableStream;
}

/**
 * Keys whose values are always masked, at any depth and whatever their content (a string, a
 * number, an object or a list): found on the serialised line (`"token":…`), one regex test per
 * line. Pino's own `redact` with wildcard paths walked every object of every line and cost
 * about 14 µs a line.
 */
const SECRET_KEY = /"(?:token|password|apiKey|authorization)":/g;

/** Builds the gateway logger. Returns the logger and a close function that flushes the file. */
export function createLogger(options: LoggerOptions): { logger: Logger; close: () => Promise<void> } {
  const streams: { stream: DestinationStream; level: pino.Level }[] = [];
  const level = options.level as pino.Level;
  const console = options.stdout ?? process.stdout;
  if (options.pretty) {
    // Loaded only on a TTY: keeps JSON-mode startup light.
    const pretty = createRequire(import.meta.url)("pino-pretty") as (o: object) => DestinationStream;
    streams.push({ stream: pretty({ destination: console, colorize: true, sync: true }), level });
  } else {
    streams.push({ stream: console as unknown as DestinationStream, level });
  }
  let file: LogFile | undefined;
  if (options.dir) {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    file = new LogFile({
      dir: options.dir,
      maxFileBytes: options.maxFileBytes ?? 10 * 1024 * 1024,
      maxFiles: options.maxFiles ?? 5,
    });
    streams.push({ stream: file as unknown as DestinationStream, level });
  }
  const secrets = options.secrets ?? [];
  const logger = pino(
    {
      level,
      base: { pid: process.pid },
      hooks: { streamWrite: (line: string) => maskSecrets(maskSecretKeys(line), secrets) },
    },
    pino.multistream(streams),
  );
  const close = () => file?.close() ?? Promise.resolve();
  return { logger, close };
}

/** Masks the value of every secret-named key in a JSON log line. */
export function maskSecretKeys(line: string): string {
  SECRET_KEY.lastIndex = 0;
  if (!SECRET_KEY.test(line)) return line;
  SECRET_KEY.lastIndex = 0;
  let out = "";
  let from = 0;
  for (let m = SECRET_KEY.exec(line); m !== null; m = SECRET_KEY.exec(line)) {
    const start = m.index + m[0].length;
    const end = jsonValueEnd(line, start);
    out += `${line.slice(from, start)}"[redacted]"`;
    from = end;
    SECRET_KEY.lastIndex = end;
  }
  return out + line.slice(from);
}

/** Where the JSON value starting at `i` ends (strings, objects and lists skipped whole). */
function jsonValueEnd(text: string, i: number): number {
  let depth = 0;
  let inString = false;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (inString) {
      if (c === "\\") j++;
      else if (c === '"') {
        inString = false;
        if (depth === 0) return j + 1;
      }
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      if (depth === 0) return j;
      if (--depth === 0) return j + 1;
    } else if (c === "," && depth === 0) return j;
  }
  return text.length;
}

/** Replaces every occurrence of each secret with a marker. */
export function maskSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of secrets) if (s.length >= 4 && out.includes(s)) out = out.split(s).join("[redacted]");
  return out;
}

/** The log directory inside a state dir. */
export function logDir(stateDir: string): string {
  return join(stateDir, "logs");
}

/** A logger that writes nothing (tests that do not care about logs). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
