// A one-timer watchdog that aborts a request and remembers which deadline fired.

/** What a watchdog stops when a deadline passes (an AbortController, an Exchange). */
export interface Abortable {
  abort(reason: Error): void;
}

/** Which wait ran out: response headers (connect/first-byte) or the gap between body bytes. */
export type WatchdogPhase = "connect" | "idle";

/**
 * Aborts its target when an armed deadline passes. One timer at a time: re-arming replaces it,
 * so a byte arriving pushes the idle deadline out without piling up timers.
 */
export class Watchdog {
  #timer: NodeJS.Timeout | undefined;
  #fired: { phase: WatchdogPhase; ms: number } | undefined;
  #armed: { phase: WatchdogPhase; ms: number } | undefined;
  #paused = false;
  readonly #controller: Abortable;

  constructor(controller: Abortable) {
    this.#controller = controller;
  }

  /** The deadline that aborted the request, if one did. */
  get fired(): { phase: WatchdogPhase; ms: number } | undefined {
    return this.#fired;
  }

  /**
   * Arms (or re-arms) the deadline. Re-arming the same phase and length restarts the one timer
   * in place (`refresh()`), which is what every body read of a stream does.
   */
  arm(phase: WatchdogPhase, ms: number): void {
    this.#paused = false;
    const armed = this.#armed;
    if (this.#timer !== undefined && armed?.phase === phase && armed.ms === ms) {
      this.#timer.refresh();
      return;
    }
    this.clear();
    this.#armed = { phase, ms };
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // Fired while the caller was busy with what it read, not waiting on the socket: no fault.
      if (this.#paused) return;
      this.#fired = { phase, ms };
      this.#controller.abort(new Error(`${phase} watchdog fired after ${ms} ms`));
    }, ms);
    // A pending provider call must not keep a shutting-down process alive on its own.
    this.#timer.unref();
  }

  /**
   * Stops the deadline until the next arm() without dropping its timer (a stream between two
   * reads): cheaper than clear() and arm() per read, and the same to the caller.
   */
  pause(): void {
    this.#paused = true;
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
