// Paging through <state>/logs/keel.log by byte cursor, never reading it whole (logs.tail, keel logs).
import { open } from "node:fs/promises";
import type { LogsTailResult } from "../protocol/results.js";

const DEFAULT_LIMIT = 500;
const DEFAULT_MAX_BYTES = 250_000;

/**
 * Without `cursor`: the last `limit` lines within the last `maxBytes` bytes. With `cursor`:
 * the complete lines after it (a line still being written is left for the next call).
 */
export async function tailLog(
  file: string,
  opts: { cursor?: number | undefined; limit?: number | undefined; maxBytes?: number | undefined },
): Promise<LogsTailResult> {
  const limit = opts.limit ?? DEFAULT_LIMIT;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { file, cursor: 0, size: 0, lines: [] };
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    const reset = opts.cursor !== undefined && opts.cursor > size;
    const follow = opts.cursor !== undefined && !reset;
    const start = follow ? (opts.cursor as number) : Math.max(0, size - maxBytes);
    const end = Math.min(size, start + maxBytes);
    const buf = Buffer.alloc(end - start);
    if (buf.length > 0) await fh.read(buf, 0, buf.length, start);
    const out = follow ? forward(buf, start, size, limit) : backward(buf, start, limit);
    return { file, size, ...out, ...(reset ? { reset: true } : {}) };
  } finally {
    await fh.close();
  }
}

/** Complete lines from the start of `buf`; the cursor lands after the last one returned. */
function forward(buf: Buffer, start: number, size: number, limit: number) {
  const lines: string[] = [];
  let pos = 0;
  while (lines.length < limit) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    lines.push(buf.toString("utf8", pos, nl));
    pos = nl + 1;
  }
  // One line longer than maxBytes would stall the cursor forever: return its first part.
  if (lines.length === 0 && pos === 0 && buf.length > 0 && start + buf.length < size) {
    lines.push(buf.toString("utf8"));
    pos = buf.length;
  }
  const cursor = start + pos;
  return { cursor, lines, ...(cursor < size ? { truncated: true } : {}) };
}

/** The last `limit` complete lines of `buf`, which ends at the end of the file. */
function backward(buf: Buffer, start: number, limit: number) {
  // A window that does not begin the file starts mid-line: skip to the first full line.
  let from = 0;
  if (start > 0) {
    const nl = buf.indexOf(0x0a);
    from = nl < 0 ? buf.length : nl + 1;
  }
  const lastNl = buf.lastIndexOf(0x0a);
  const to = lastNl < from ? from : lastNl + 1;
  const all = to > from ? buf.toString("utf8", from, to - 1).split("\n") : [];
  const lines = all.slice(-limit);
  const truncated = start > 0 || all.length > lines.length;
  return { cursor: start + to, lines, ...(truncated ? { truncated: true } : {}) };
}
