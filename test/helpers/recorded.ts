// Test helper: frames of the reference CLI's recorded sessions (test/fixtures/wire/clients) and shape checks.
import { readFileSync } from "node:fs";

export interface RecordedLine {
  t: number;
  conn: number;
  dir: "c2s" | "s2c" | "meta";
  frame: any;
}

const DIR = new URL("../fixtures/wire/clients/", import.meta.url);

/** Every line of `<name>.jsonl`. */
export function recorded(name: string): RecordedLine[] {
  return readFileSync(new URL(`${name}.jsonl`, DIR), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RecordedLine);
}

/** The recorded request of `method` (the nth, default the first) and the reference's answer to it. */
export function exchange(name: string, method: string, nth = 0): { params: any; res: any } {
  const lines = recorded(name);
  const reqs = lines.filter((l) => l.dir === "c2s" && l.frame.type === "req" && l.frame.method === method);
  const req = reqs[nth];
  if (!req) throw new Error(`${name}: no request ${method} #${nth}`);
  const res = lines.find((l) => l.dir === "s2c" && l.frame.type === "res" && l.frame.id === req.frame.id);
  if (!res) throw new Error(`${name}: no answer to ${method} #${nth}`);
  return { params: req.frame.params ?? {}, res: res.frame };
}

const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/**
 * The paths (`a.b[0].c`) the reference value has and `actual` lacks or holds as another JSON
 * type, down to `depth` levels; the first element of an array stands for all. Values may
 * differ (ids, times, paths); names and types may not.
 */
export function shapeGaps(reference: unknown, actual: unknown, depth = 1, path = ""): string[] {
  if (kind(reference) !== kind(actual))
    return [`${path || "."}: ${kind(actual)} instead of ${kind(reference)}`];
  if (depth <= 0) return [];
  if (Array.isArray(reference)) {
    const [r] = reference;
    const [a] = actual as unknown[];
    return r === undefined || a === undefined ? [] : shapeGaps(r, a, depth - 1, `${path}[0]`);
  }
  if (kind(reference) !== "object") return [];
  const gaps: string[] = [];
  for (const [k, v] of Object.entries(reference as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    const a = (actual as Record<string, unknown>)[k];
    if (a === undefined) gaps.push(`${p}: missing`);
    else gaps.push(...shapeGaps(v, a, depth - 1, p));
  }
  return gaps;
}

/** Only the listed keys of an object (to compare the part of a big reference answer a test owns). */
export function pick(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in value).map((k) => [k, value[k]]));
}
