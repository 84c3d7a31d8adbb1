// Shared-secret auth of `connect` (token or password) over the per-address failure rate limiter.
import { safeEqualDigest, secretDigest } from "../http/auth.js";
import { AuthRateLimiter, isLoopback } from "../http/rate-limit.js";
import { GatewayError } from "../protocol/errors.js";
import type { GatewaySecret } from "./secret.js";

export { AuthRateLimiter, isLoopback };

export interface AuthAttempt {
  ip: string;
  browserOrigin: boolean;
  /** The upgrade's Origin header (normalized), when a browser sent one. */
  origin?: string | undefined;
  credentials: { token?: string | undefined; password?: string | undefined } | undefined;
  /**
   * Count failures even from loopback (the HTTP API: behind a local proxy without
   * gateway.trustedProxies every caller is 127.0.0.1, and guessing must stay bounded).
   */
  noLoopbackExemption?: boolean;
}

/**
 * The lockout is per (address, Origin or none), not per address: failures a browser page makes
 * (its Origin) never lock out a client that sends no Origin — the user's CLI on the same
 * machine. Not per client.id, which any page can forge. Guessing stays bounded: each key
 * gets maxAttempts per window, and a page cannot choose its own Origin, so one address yields
 * one key per real origin the allow-list admits, plus one for clients without an Origin.
 */
export function lockoutKey(attempt: Pick<AuthAttempt, "ip" | "origin">, mode: string): string {
  return `${attempt.ip}|${attempt.origin ?? "-"}|${mode}`;
}

/** The auth failure shape of spec §1.4: INVALID_REQUEST with `details.code`, then close 1008. */
function authError(code: string, message: string, nextStep: string): GatewayError {
  return new GatewayError("INVALID_REQUEST", message, {
    details: { code, canRetryWithDeviceToken: false, recommendedNextStep: nextStep },
  });
}

/**
 * Checks the shared secret. Throws the wire error on failure. A locked-out client is refused
 * before its credential is even compared, so guessing during a lockout learns nothing.
 */
export function authenticate(secret: GatewaySecret, limiter: AuthRateLimiter, attempt: AuthAttempt): void {
  if (secret.mode === "none") return;
  const key = lockoutKey(attempt, secret.mode);
  const limited = attempt.noLoopbackExemption === true || !limiter.exempt(attempt.ip, attempt.browserOrigin);
  if (limited) {
    const waitMs = limiter.lockedFor(key);
    if (waitMs > 0) {
      throw new GatewayError("INVALID_REQUEST", "unauthorized: too many failed authentication attempts", {
        retryable: true,
        retryAfterMs: waitMs,
        details: { code: "AUTH_RATE_LIMITED", canRetryWithDeviceToken: false, recommendedNextStep: "wait" },
      });
    }
  }
  const isToken = secret.mode === "token";
  const given = isToken ? attempt.credentials?.token : attempt.credentials?.password;
  const expected = (isToken ? secret.token : secret.password) ?? "";
  const what = isToken ? "token" : "password";
  const prefix = isToken ? "AUTH_TOKEN" : "AUTH_PASSWORD";
  if (!given) {
    throw authError(
      `${prefix}_MISSING`,
      `unauthorized: gateway ${what} missing (pass --${what} or set KEEL_GATEWAY_${what.toUpperCase()})`,
      `provide the gateway ${what}`,
    );
  }
  secret.digest ??= secretDigest(expected);
  if (!safeEqualDigest(given, secret.digest)) {
    if (limited) limiter.recordFailure(key);
    throw authError(
      `${prefix}_MISMATCH`,
      `unauthorized: gateway ${what} mismatch (check --${what} or KEEL_GATEWAY_${what.toUpperCase()})`,
      `use the gateway's current ${what}`,
    );
  }
  if (limited) limiter.recordSuccess(key);
}
