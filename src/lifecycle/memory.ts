// Process memory policy: shed new work near the heap limit, and hand memory back after bursts.
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Fraction of V8's heap limit above which new runs are refused (retryable) instead of risking OOM. */
export const HEAP_SHED_RATIO = 0.85;

/** True when the heap is close enough to its limit that new batch work must wait. */
export function heapUnderPressure(ratio = HEAP_SHED_RATIO): boolean {
  const h = getHeapStatistics();
  return h.used_heap_size > h.heap_size_limit * ratio;
}

/**
 * heapUnderPressure, read at most once per `everyMs`: admission asks on every run, and the heap
 * statistics cost microseconds a call while the answer changes over many runs, not one.
 */
export class HeapGauge {
  #checkedAt = Number.NEGATIVE_INFINITY;
  #under = false;

  constructor(
    private readonly everyMs = 20,
    private readonly now: () => number = Date.now,
    private readonly read: () => boolean = () => heapUnderPressure(),
  ) {}

  underPressure(): boolean {
    const now = this.now();
    if (now - this.#checkedAt >= this.everyMs) {
      this.#checkedAt = now;
      this.#under = this.read();
    }
    return this.#under;
  }
}

let gc: { full: () => void; lastResort: () => void } | undefined;

/**
 * Runs a full GC so V8 returns the pages a finished burst left behind. V8 only shrinks its heap
 * when it collects, and an idle gateway allocates nothing, so without this the RSS of a
 * 10,000-run batch would stay until the next burst. Called rarely: once a burst has drained.
 */
export function releaseMemory(): void {
  if (!gc) {
    // Exposes gc() to this process; it is only ever called from here.
    setFlagsFromString("--expose-gc");
    gc = {
      full: runInNewContext("gc") as () => void,
      // Built inside that context so V8 reads the options there.
      lastResort: runInNewContext(
        '() => gc({ type: "major", execution: "sync", flavor: "last-resort" })',
      ) as () => void,
    };
  }
  // Full GCs free the heap (on Node 20 the second one returns the pages the first freed); the
  // "last-resort" pass compacts and uncommits what is left (it does most of the work on Node 24).
  gc.full();
  gc.full();
  gc.lastResort();
}
