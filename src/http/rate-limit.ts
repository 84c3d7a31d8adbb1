// Failed-auth counting per client key with lockouts, bounded: shared by the WebSocket and webhooks.

/** The limiter's settings (gateway.auth.rateLimit, hooks.rateLimit). */
export interface RateLimitConfig {
  maxAttempts: number;
  windowMs: number;
  lockoutMs: number;
  /** Loopback clients without a browser Origin skip the limit (the WebSocket's choice; hooks: false). */
  exemptLoopback?: boolean;
  maxTrackedClients: number;
}

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

  /** `settings` may be a getter: a hot-reloaded section's limits apply to the next failure. */
  constructor(
    private readonly settings: RateLimitConfig | (() => RateLimitConfig),
    private readonly now: () => number = Date.now,
  ) {}

  private get cfg(): RateLimitConfig {
    return typeof this.settings === "function" ? this.settings() : this.settings;
  }

  /** Whether this client is exempt (loopback, unless a browser origin is involved). */
  exempt(ip: string, browserOrigin: boolean): boolean {
    return this.cfg.exemptLoopback === true && !browserOrigin && isLoopback(ip);
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
