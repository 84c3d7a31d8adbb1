// Following one run's events for the HTTP caller that owns it, with an idle tick for keep-alives.
import type { RunEvent } from "../runs/events.js";
import type { RunHandle } from "../runs/service.js";

/** What `next()` gives: an event, `idle` when none came within the wait, `end` after the last. */
export type Next = RunEvent | "idle" | "end";

/**
 * Subscribes at once (so no event between admission and the first read is lost) and hands
 * events out one by one. A wait that passes without an event answers `idle` and keeps the
 * pending read for the next call, so nothing is dropped.
 */
export class RunFollower {
  readonly #iterator: AsyncIterator<RunEvent>;
  #pending: Promise<IteratorResult<RunEvent>> | undefined;

  constructor(run: RunHandle, signal?: AbortSignal) {
    this.#iterator = run.events(signal);
    // Calling next() runs the generator up to its first await: the subscription exists from here.
    this.#pending = this.#iterator.next();
  }

  /** The next event, or `idle` after `idleMs` without one (no limit when unset). */
  async next(idleMs?: number): Promise<Next> {
    const pending = (this.#pending ??= this.#iterator.next());
    let timer: NodeJS.Timeout | undefined;
    const idle =
      idleMs === undefined
        ? undefined
        : new Promise<"idle">((resolve) => {
            timer = setTimeout(() => resolve("idle"), idleMs);
          });
    try {
      const got = idle ? await Promise.race([pending, idle]) : await pending;
      if (got === "idle") return "idle";
      this.#pending = undefined;
      return got.done ? "end" : got.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops following (the run itself goes on unless its owner signal aborts it). */
  close(): void {
    void this.#iterator.return?.(undefined);
  }
}
