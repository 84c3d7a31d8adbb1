// What a reload may change in place: keys marked `restart` keep their running values until a restart.
import { deepFreeze } from "./load.js";
import type { Config } from "./schema.js";
import { fields } from "./walk.js";

/** The schema's restart-marked keys (leaves, records and lists), computed once. */
let restartFields: { path: string; segments: string[] }[] | undefined;

function restartKeys(): { path: string; segments: string[] }[] {
  restartFields ??= fields().filter((f) => f.reload === "restart");
  return restartFields;
}

/** Dotted paths of the `restart` keys whose value differs between the two configs, in schema order. */
export function changedRestartKeys(running: Config, next: Config): string[] {
  return restartKeys()
    .filter((f) => !sameJson(at(running, f.segments), at(next, f.segments)))
    .map((f) => f.path);
}

/** Dotted paths of every key whose value differs between the two configs (for the reload's log line). */
export function changedKeys(previous: Config, next: Config): string[] {
  return fields()
    .filter((f) => !sameJson(at(previous, f.segments), at(next, f.segments)))
    .map((f) => f.path);
}

/**
 * `next` with every `restart` key set back to its value in `running`: what is really in effect
 * after a reload, so `current()` never shows a port or log level the process is not using.
 * The result is deep-frozen like a loaded config.
 */
export function withRunningRestartKeys(running: Config, next: Config): Config {
  const out = structuredClone(next) as unknown as Record<string, unknown>;
  for (const f of restartKeys()) {
    const value = at(running, f.segments);
    const parent = parentOf(out, f.segments);
    const key = f.segments[f.segments.length - 1]!;
    if (value === undefined) delete parent[key];
    else parent[key] = structuredClone(value);
  }
  return deepFreeze(out as unknown as Config);
}

function at(config: Config, segments: readonly string[]): unknown {
  let node: unknown = config;
  for (const seg of segments) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[seg];
  }
  return node;
}

function parentOf(tree: Record<string, unknown>, segments: readonly string[]): Record<string, unknown> {
  let node = tree;
  for (const seg of segments.slice(0, -1)) {
    if (node[seg] === null || typeof node[seg] !== "object") node[seg] = {};
    node = node[seg] as Record<string, unknown>;
  }
  return node;
}

/** Structural equality of config values (key order does not matter: a reordered file changes nothing). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameJson((a as Record<string, unknown>)[k], rb[k]));
}
