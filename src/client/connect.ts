// Connect within a budget: retries the gateway's `startup-sidecars` refusal without surfacing it.

import type { ConnectParams } from "../protocol/frames.js";
import { startupRetryDelay } from "./backoff.js";
import { ClientError, RequestError } from "./errors.js";
import { connectOnce, type OpenSocket } from "./handshake.js";

export interface ConnectWithinOptions {
  url: string;
  params: () => ConnectParams;
  /** Total time for the connect, every startup retry included. */
  budgetMs: number;
  signal?: AbortSignal;
}

/** Whether a refusal means "the gateway is up but its startup work is not done yet". */
export function isStartupRefusal(err: unknown): err is RequestError {
  return (
    err instanceof RequestError &&
    err.code === "UNAVAILABLE" &&
    err.details?.["reason"] === "startup-sidecars"
  );
}

/**
 * Connects, and while the gateway answers `startup-sidecars` waits
 * clamp(floor(retryAfterMs ?? 500), 100, 2000) ms and tries again, all inside `budgetMs`
 * (stability §6). The intermediate refusals are never reported; if the budget runs out while the
 * gateway is still starting, the error says exactly that.
 */
export async function connectWithin(options: ConnectWithinOptions): Promise<OpenSocket> {
  const started = Date.now();
  const deadline = started + options.budgetMs;
  const signal = options.signal ?? new AbortController().signal;
  for (;;) {
    try {
      return await connectOnce({ url: options.url, params: options.params, deadline, signal });
    } catch (err) {
      if (!isStartupRefusal(err)) {
        if (err instanceof ClientError && err.kind === "timeout") {
          throw new ClientError("timeout", `${err.message} within ${options.budgetMs} ms`, {
            ...(err.stage ? { stage: err.stage } : {}),
            cause: err,
          });
        }
        throw err;
      }
      const wait = startupRetryDelay(err.retryAfterMs);
      if (Date.now() + wait >= deadline) {
        throw new ClientError("timeout", `the gateway was still starting after ${Date.now() - started} ms`, {
          stage: "hello",
          cause: err,
        });
      }
      if (!(await abortableSleep(wait, signal))) throw new ClientError("closed", "client closed");
    }
  }
}

/** Resolves true after `ms`, or false at once when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
