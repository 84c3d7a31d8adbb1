// Human output (aligned key/value rows, colour only on a TTY) and --json output for scripts.
import { wantsColor } from "../config/paths.js";

const CODES = { green: 32, yellow: 33, red: 31, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

/** Writes to stdout; colours only when stdout is a terminal that wants them. */
export class Out {
  readonly color: boolean;
  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    this.color = wantsColor(stream.isTTY);
  }

  paint(text: string, colour: Colour): string {
    return this.color ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
  }

  line(text = ""): void {
    this.stream.write(`${text}\n`);
  }

  /** One JSON document (pretty, so humans can read it too; scripts parse it the same). */
  json(value: unknown): void {
    this.stream.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Rows of `label  value`, labels padded to one column. */
  rows(rows: readonly (readonly [string, string])[], indent = ""): void {
    const w = Math.max(0, ...rows.map(([k]) => k.length));
    for (const [k, v] of rows) this.line(`${indent}${k.padEnd(w)}  ${v}`);
  }

  /** A table with a header row; every column padded to its widest cell. */
  table(header: readonly string[], body: readonly (readonly string[])[], indent = ""): void {
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => visible(r[i] ?? "").length)));
    const fmt = (cells: readonly string[]) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - visible(c).length)))
        .join("  ")
        // An empty last cell would leave the separator dangling at the end of the line.
        .trimEnd();
    this.line(indent + this.paint(fmt(header), "dim"));
    for (const r of body) this.line(indent + fmt(r));
  }
}

/** Text without colour escapes (for width computation). */
function visible(s: string): string {
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}

/** 93784000 → "1d 2h", 3723000 → "1h 2m", 62000 → "1m 2s", 850 → "850 ms". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1_000);
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor(s / 3_600) % 24, Math.floor(s / 60) % 60];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** A past epoch-ms time as "3m 2s ago" ("just now" under a second, "?" when unknown). */
export function ago(ts: number | undefined, now: number = Date.now()): string {
  if (ts === undefined || !Number.isFinite(ts)) return "?";
  const ms = now - ts;
  return ms < 1_000 ? "just now" : `${duration(ms)} ago`;
}

/** 52428800 → "50.0 MiB". */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return "?";
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
