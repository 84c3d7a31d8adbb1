// Following one run's events: a listener and a bounded queue, read one by one with an idle tick
// (the HTTP surface's keep-alives) or as an async iterator.
import { unavailable } from "../protocol/errors.js";
import type { RunEvent } from "./events.js";
import type { Run } from "./run.js";

/** What a follower needs of a run. */
export type FollowedRun = Pick<Run, "subscribe" | "waitEnd" | "subscriberBacklog">;

/** What `next()` gives: an event, `idle` when none came within the wait, `end` after the last. */
export type Next = RunEvent | "idle" | "end";

/**
 * Subscribes at once (so no event between admission and the first read is lost) and hands
 * events out one by one from its own queue: a listener and a queue, no async iterator, so an
 * event costs a push and a read. A wait that passes without an event answers `idle`; nothing
 * is dropped. A caller that leaves the run's `subscriberBacklog` events unread gets an overload
 * error instead of an unbounded queue.
 */
export class RunFollower {
  readonly #queue: RunEvent[] = [];
  readonly #unsubscribe: () => void;
  #ended = false;
  #overflow = false;
  #wake: (() => void) | undefined;

  private readonly backlog: number;

  constructor(run: FollowedRun) {
    this.backlog = run.subscriberBacklog;
    this.#unsubscribe = run.subscribe((ev) => {
      if (this.#queue.length >= this.backlog) this.#overflow = true;
      else this.#queue.push(ev);
      this.#wake?.();
    });
    // The run freed its subscribers: whatever it published is queued, and nothing more comes.
    void run.waitEnd().then(() => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  /** The next event, or `idle` after `idleMs` without one (no limit when unset). */
  async next(idleMs?: number): Promise<Next> {
    for (;;) {
      const ev = this.take();
      if (ev !== undefined) return ev;
      if (this.#ended) return "end";
      const woke = await this.#wait(idleMs);
      if (!woke) return "idle";
    }
  }

  /** An event already queued, without waiting (undefined when none is); throws on overflow. */
  take(): RunEvent | undefined {
    if (this.#overflow) {
      throw unavailable(`too many unread events on this run (limit ${this.backlog})`, "overloaded", 1_000, {
        limit: "runs.subscriberBacklog",
      });
    }
    return this.#queue.shift();
  }

  /** True once the run was freed: what take() still gives is all there is. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Waits for the next event (or the end) to be queued. */
  async arrival(): Promise<void> {
    if (this.#queue.length === 0 && !this.#ended && !this.#overflow) await this.#wait(undefined);
  }

  /** Every event up to and including the terminal one; leaving the loop stops following. */
  async *[Symbol.asyncIterator](): AsyncGenerator<RunEvent> {
    try {
      for (;;) {
        const ev = await this.next();
        if (ev === "end" || ev === "idle") return;
        yield ev;
        if (ev.type === "final" || ev.type === "aborted" || ev.type === "error") return;
      }
    } finally {
      this.close();
    }
  }

  /** Stops following (the run itself goes on unless its owner signal aborts it). */
  close(): void {
    this.#unsubscribe();
    this.#queue.length = 0;
  }

  /** Resolves true when an event (or the end) arrives, false when `idleMs` passed first. */
  #wait(idleMs: number | undefined): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = idleMs === undefined ? undefined : setTimeout(() => done(false), idleMs);
      const done = (woke: boolean) => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(woke);
      };
      this.#wake = () => done(true);
    });
  }
}
