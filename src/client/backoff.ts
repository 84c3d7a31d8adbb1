// Retry timing: the startup-sidecars wait and the reconnect backoff (pure functions).

/** Bounds of the startup-sidecars retry wait (spec §1.7). */
export const STARTUP_RETRY = { defaultMs: 500, minMs: 100, maxMs: 2_000 } as const;

/** Reconnect backoff defaults: 1 s, doubling, capped at 30 s (spec §1.8). */
export const RECONNECT = { initialMs: 1_000, maxMs: 30_000 } as const;

/** How long to wait before retrying a `startup-sidecars` refusal: clamp(floor(retryAfterMs ?? 500), 100, 2000). */
export function startupRetryDelay(retryAfterMs: number | undefined): number {
  const raw =
    typeof retryAfterMs === "number" && Number.isFinite(retryAfterMs)
      ? Math.floor(retryAfterMs)
      : STARTUP_RETRY.defaultMs;
  return Math.min(STARTUP_RETRY.maxMs, Math.max(STARTUP_RETRY.minMs, raw));
}

/**
 * Delay before reconnect attempt `attempt` (1-based): initial × 2^(attempt-1), capped. No jitter:
 * each client talks to its own gateway, so there is no herd to spread, and a fixed schedule is
 * what a user watching "reconnecting in 4 s" expects.
 */
export function reconnectDelay(
  attempt: number,
  initialMs: number = RECONNECT.initialMs,
  maxMs: number = RECONNECT.maxMs,
): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2^30 already exceeds any sane cap; stop the exponent there so the math never overflows.
  return Math.min(maxMs, initialMs * 2 ** Math.min(n - 1, 30));
}
