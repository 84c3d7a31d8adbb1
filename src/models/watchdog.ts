// A one-timer watchdog that aborts a request and remembers which deadline fired.

/** Which wait ran out: response headers (connect/first-byte) or the gap between body bytes. */
export type WatchdogPhase = "connect" | "idle";

/**
 * Aborts `controller` when an armed deadline passes. One timer at a time: re-arming replaces it,
 * so a byte arriving pushes the idle deadline out without piling up timers.
 */
export class Watchdog {
  #timer: NodeJS.Timeout | undefined;
  #fired: { phase: WatchdogPhase; ms: number } | undefined;
  readonly #controller: AbortController;

  constructor(controller: AbortController) {
    this.#controller = controller;
  }

  /** The deadline that aborted the request, if one did. */
  get fired(): { phase: WatchdogPhase; ms: number } | undefined {
    return this.#fired;
  }

  arm(phase: WatchdogPhase, ms: number): void {
    this.clear();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#fired = { phase, ms };
      this.#controller.abort(new Error(`${phase} watchdog fired after ${ms} ms`));
    }, ms);
    // A pending provider call must not keep a shutting-down process alive on its own.
    this.#timer.unref();
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
