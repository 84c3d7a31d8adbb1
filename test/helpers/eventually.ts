// Test helper: retries an assertion or predicate until it holds, instead of sleeping before asserting.

// Taken at import, before any test installs fake timers: the retry clock must keep running while
// a test drives its own timers (vi.useFakeTimers replaces the globals, not these references).
const realSetTimeout = globalThis.setTimeout;
const realNow = performance.now.bind(performance);

export interface EventuallyOptions {
  /** Give up after this long (default 5 000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 10 ms). */
  intervalMs?: number;
  /** What was awaited, for the timeout error ("the run to end", "the vendor to get the request"). */
  message?: string;
}

/**
 * Calls `check` until it neither throws nor returns `false`, and resolves with what it returned
 * (so `eventually(() => openClient(url))` yields the socket). A throwing `expect(…)` and a `false`
 * predicate both mean "not yet"; `undefined` counts as holding, as an assertion returns it. On
 * timeout it rejects with `message` and the last failure (its `cause`), never a bare "timed out".
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<Exclude<T, false>> {
  const { timeoutMs = 5_000, intervalMs = 10, message = "the condition" } = options;
  const deadline = realNow() + timeoutMs;
  let attempts = 0;
  let last: unknown;
  for (;;) {
    attempts++;
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (realNow() >= deadline) {
      const why = last instanceof Error ? `: ${last.message}` : " (the check returned false)";
      throw new Error(`waited ${timeoutMs} ms (${attempts} attempts) for ${message}${why}`, {
        cause: last,
      });
    }
    await new Promise((resolve) => realSetTimeout(resolve, intervalMs));
  }
}
