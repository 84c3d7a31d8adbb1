// Shape comparison of a Keel answer against the reference's: keys and JSON types, never values
// (ids, nonces, timestamps, paths and counts differ between any two gateways).
import type { Json } from "./recording.js";

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** Object keys that are data, not field names (ids as map keys): their contents are not compared. */
const DATA_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-|^agent:|^[a-z]+\/[\w.-]+$/i;

/**
 * The places where `actual` lacks the shape of `expected`, as `path: what` lines. Every key the
 * reference sent must be there with the same JSON type; Keel's own extra keys are fine. `null` on
 * either side matches any type (an honest "none" against the reference's value, or the reverse).
 * Arrays compare their first elements when both have one.
 */
export function shapeDiff(expected: Json, actual: Json, path = ""): string[] {
  const e = kind(expected);
  const a = kind(actual);
  if (e === "null" || a === "null") return [];
  if (e !== a) return [`${path || "."}: ${a} instead of ${e}`];
  if (e === "array") {
    if (expected.length === 0 || actual.length === 0) return [];
    return shapeDiff(expected[0], actual[0], `${path}[]`);
  }
  if (e !== "object") return [];
  const out: string[] = [];
  for (const key of Object.keys(expected)) {
    if (DATA_KEY.test(key)) continue;
    const p = path ? `${path}.${key}` : key;
    if (!(key in actual)) out.push(`${p}: missing`);
    else out.push(...shapeDiff(expected[key], actual[key], p));
  }
  return out;
}

/**
 * Whether a difference is one a recording's manifest entry tolerates: `prefix` tolerates that
 * path and everything under it (`payload.sessions[]` covers every field of a row).
 */
export function tolerated(diff: string, prefixes: readonly string[]): boolean {
  const path = diff.slice(0, diff.lastIndexOf(": "));
  return prefixes.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[]`));
}
