// Shared-secret auth of `connect` (token or password) and the per-IP failure rate limiter.
import type { GatewayConfig } from "../config/schema.js";
import { safeEqual } from "../http/auth.js";
import { GatewayError } from "../protocol/errors.js";
import type { GatewaySecret } from "./secret.js";

type RateLimitConfig = GatewayConfig["auth"]["rateLimit"];

interface Attempts {
  windowStart: number;
  failures: number;
  lockedUntil: number;
}

/**
 * Counts failed auth attempts per client IP and credential class; past `maxAttempts` within
 * `windowMs` the client is locked out for `lockoutMs`. The map is capped at `maxTrackedClients`
 * (expired entries go first, then the oldest), so a spray of source addresses cannot grow it.
 */
export class AuthRateLimiter {
  private readonly entries = new Map<string, Attempts>();

  constructor(
    private readonly cfg: RateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether this client is exempt (loopback, unless a browser origin is involved). */
  exempt(ip: string, browserOrigin: boolean): boolean {
    return this.cfg.exemptLoopback && !browserOrigin && isLoopback(ip);
  }

  /** Milliseconds left of a lockout, or 0. */
  lockedFor(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    return Math.max(0, e.lockedUntil - this.now());
  }

  recordFailure(key: string): void {
    const now = this.now();
    let e = this.entries.get(key);
    if (!e || (now - e.windowStart > this.cfg.windowMs && e.lockedUntil <= now)) {
      e = { windowStart: now, failures: 0, lockedUntil: 0 };
    }
    e.failures += 1;
    if (e.failures >= this.cfg.maxAttempts) e.lockedUntil = now + this.cfg.lockoutMs;
    // Re-insert so Map order is least-recently-failed first (eviction order).
    this.entries.delete(key);
    this.entries.set(key, e);
    if (this.entries.size > this.cfg.maxTrackedClients) this.evict(now);
  }

  recordSuccess(key: string): void {
    this.entries.delete(key);
  }

  /** Drops entries whose window and lockout are both over (called by the maintenance timer). */
  sweep(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (this.expired(e, now)) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }

  private expired(e: Attempts, now: number): boolean {
    return e.lockedUntil <= now && now - e.windowStart > this.cfg.windowMs;
  }

  private evict(now: number): void {
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.cfg.maxTrackedClients) return;
      if (this.expired(e, now)) this.entries.delete(k);
    }
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.cfg.maxTrackedClients) return;
      this.entries.delete(k);
    }
  }
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(ip: string): boolean {
  const v4 = ip.startsWith("::ffff:") ? ip.slice(7) : ip;
  return v4.startsWith("127.") || ip === "::1";
}

export interface AuthAttempt {
  ip: string;
  browserOrigin: boolean;
  /** The upgrade's Origin header (normalized), when a browser sent one. */
  origin?: string | undefined;
  credentials: { token?: string | undefined; password?: string | undefined } | undefined;
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
  const limited = !limiter.exempt(attempt.ip, attempt.browserOrigin);
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
  if (!safeEqual(given, expected)) {
    if (limited) limiter.recordFailure(key);
    throw authError(
      `${prefix}_MISMATCH`,
      `unauthorized: gateway ${what} mismatch (check --${what} or KEEL_GATEWAY_${what.toUpperCase()})`,
      `use the gateway's current ${what}`,
    );
  }
  if (limited) limiter.recordSuccess(key);
}
