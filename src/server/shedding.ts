// Rate-limited logging of load shedding: one warn line per minute at most, with counts.
import type { Logger } from "../lifecycle/logger.js";
import { releaseMemory } from "../lifecycle/memory.js";

/** One line per this many ms at most while something is being shed. */
export const SHED_LOG_INTERVAL_MS = 60_000;

/**
 * Counts sockets closed or refused by each cap and logs a summary at most once per interval.
 * Under attack a cap may fire thousands of times a second; one line per event would turn the
 * log itself into the exhausted resource, and no line at all would leave the operator blind.
 */
export class ShedLog {
  private counts = new Map<string, number>();
  private lastAt = -Infinity;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly intervalMs: number = SHED_LOG_INTERVAL_MS,
    /** Told each summary's counts (diagnostics.stability records them). */
    private readonly onSummary?: (shed: Record<string, number>) => void,
  ) {}

  /** Records one shed socket under `cap` (a config key name) and logs if the interval allows. */
  note(cap: string): void {
    this.counts.set(cap, (this.counts.get(cap) ?? 0) + 1);
    const now = this.now();
    if (now - this.lastAt < this.intervalMs) return;
    this.lastAt = now;
    const shed = Object.fromEntries(this.counts);
    this.counts = new Map();
    const what = Object.entries(shed)
      .map(([k, n]) => `${n} by ${k}`)
      .join(", ");
    this.logger.warn({ shed }, `shedding sockets: ${what} (next summary in a minute at most)`);
    this.onSummary?.(shed);
  }
}

/**
 * Hands memory back once after a burst of slow consumers was dropped: their send buffers are
 * garbage only after their sockets are gone, and an idle gateway would not collect on its own
 * (the same release the run sweeper uses). Repeated calls within `delayMs` share one release.
 */
export function releaseAfterShed(delayMs = 1_000, release: () => void = releaseMemory): () => void {
  let timer: NodeJS.Timeout | undefined;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      release();
    }, delayMs);
    timer.unref();
  };
}
