// JSON merge patch (RFC 7396): what config.patch's `patch` does to the file's JSON.

/**
 * Applies `patch` to `target` as RFC 7396 says: an object patch merges key by key, a `null`
 * member removes that key, and anything else (an array, a scalar) replaces the target whole.
 * Neither input is modified.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
