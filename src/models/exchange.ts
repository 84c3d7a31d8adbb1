// One HTTP exchange with a provider over undici's dispatch API: the response's status, headers
// and body bytes handed to the transport as they arrive, without a stream object in between.
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

/** Body bytes queued unread past which the socket is paused until the reader catches up. */
const HIGH_WATER_BYTES = 256 * 1024;

type Controller = Dispatcher.DispatchController;

/**
 * A request in flight. `response()` resolves at the status line and headers; `read()` gives the
 * body chunk by chunk (null at its end); either throws what ended the exchange: the reason given
 * to `abort()`, or undici's network error. `release()` hands the socket back: at once when the
 * body is read, after a bounded discard when the caller stopped at the vendor's end marker, else
 * by aborting, so the vendor sees the connection close.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  status = 0;
  headers: IncomingHttpHeaders = {};
  #controller: Controller | undefined;
  #started = false;
  #chunks: Buffer[] = [];
  #queued = 0;
  #ended = false;
  #error: unknown;
  #failed = false;
  #wake: (() => void) | undefined;
  /** Bytes still allowed to arrive after release() while draining; undefined when not draining. */
  #drainLeft: number | undefined;

  constructor(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions) {
    dispatcher.dispatch(options, this);
  }

  /** Resolves once the status line and headers arrived. */
  async response(): Promise<void> {
    while (!this.#started) {
      if (this.#failed) throw this.#error;
      await this.#next();
    }
  }

  /** The next body chunk, or null once the body ended. */
  async read(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        this.#queued -= chunk.length;
        if (this.#queued < HIGH_WATER_BYTES && this.#controller?.paused) this.#controller.resume();
        return chunk;
      }
      if (this.#failed) throw this.#error;
      if (this.#ended) return null;
      await this.#next();
    }
  }

  /** True once the body was read to its end (or the exchange failed). */
  get done(): boolean {
    return (this.#ended && this.#chunks.length === 0) || this.#failed;
  }

  /**
   * Ends the exchange with `reason`: the reader gets it at its next read, even when the whole
   * body had arrived already (what is queued is dropped). Only a body read to its end is past
   * aborting.
   */
  abort(reason: Error): void {
    if (this.done) return;
    const arrived = this.#ended;
    this.#fail(reason);
    // A body that arrived whole left its socket to the pool; otherwise the request is cut
    // (before undici handed it to a socket there is no controller yet: it aborts then).
    if (!arrived) this.#controller?.abort(reason);
  }

  /**
   * Gives the socket back. `sawEnd`: the caller stopped at the vendor's end marker, so up to
   * `drainBytes` more are discarded and the keep-alive socket returns to the pool; otherwise
   * (an early stop, an error) the request is aborted.
   */
  release(sawEnd: boolean, drainBytes: number): void {
    if (this.done) return;
    if (!sawEnd) return this.abort(new Error("the caller stopped reading"));
    this.#drainLeft = drainBytes - this.#queued;
    this.#chunks = [];
    this.#queued = 0;
    if (this.#drainLeft < 0) return this.abort(new Error("too much after the end marker"));
    if (this.#controller?.paused) this.#controller.resume();
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.#failed) controller.abort(this.#error as Error);
  }

  onResponseStart(_controller: Controller, status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.headers = headers;
    this.#started = true;
    this.#wake?.();
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#drainLeft !== undefined) {
      this.#drainLeft -= chunk.length;
      if (this.#drainLeft < 0) this.abort(new Error("too much after the end marker"));
      return;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= HIGH_WATER_BYTES) controller.pause();
    this.#wake?.();
  }

  onResponseEnd(): void {
    this.#ended = true;
    this.#wake?.();
  }

  onResponseError(_controller: Controller, error: Error): void {
    if (!this.#failed) this.#fail(error);
  }

  #fail(error: unknown): void {
    this.#failed = true;
    this.#error = error;
    this.#chunks = [];
    this.#queued = 0;
    this.#wake?.();
  }

  #next(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = undefined;
        resolve();
      };
    });
  }
}
