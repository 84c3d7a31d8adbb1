// Session credential pins: the credential a session last used per provider, kept until it fails or expires.

/** What the failover layer sees of one session's pins. */
export interface SessionPins {
  /** The credential id pinned for `provider`, if any. */
  get(provider: string): string | undefined;
  /** Pins `credentialId` for `provider` (refreshing its TTL). */
  set(provider: string, credentialId: string): void;
}

export interface CredentialPinsOptions {
  /** How long a pin lives after its last use (ms). */
  ttlMs: number;
  /** Pins kept at most; past it the least recently used goes. */
  max: number;
  now?: () => number;
}

interface Pin {
  credentialId: string;
  expiresAt: number;
}

/**
 * Every session's pins in one bounded map keyed by session and provider (protocol §4.4: the
 * picked profile is pinned per session). Sessions come and go without telling this store, so it
 * never relies on an owner to remove entries: an expired pin is dropped when read, and the cap
 * evicts the least recently used first (a Map iterates in insertion order, and each use
 * re-inserts). Keyed by session id, so a reset — which gives the key a new session id — starts
 * unpinned.
 */
export class CredentialPins {
  readonly #pins = new Map<string, Pin>();
  readonly #options: CredentialPinsOptions;

  constructor(options: CredentialPinsOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#pins.size;
  }

  /** The pins of one session, for one turn's failover chain. */
  forSession(sessionId: string): SessionPins {
    return {
      get: (provider) => this.get(sessionId, provider),
      set: (provider, credentialId) => this.set(sessionId, provider, credentialId),
    };
  }

  get(sessionId: string, provider: string): string | undefined {
    const key = pinKey(sessionId, provider);
    const pin = this.#pins.get(key);
    if (pin === undefined) return undefined;
    if (pin.expiresAt <= this.#now()) {
      this.#pins.delete(key);
      return undefined;
    }
    return pin.credentialId;
  }

  set(sessionId: string, provider: string, credentialId: string): void {
    const key = pinKey(sessionId, provider);
    this.#pins.delete(key);
    this.#pins.set(key, { credentialId, expiresAt: this.#now() + this.#options.ttlMs });
    // Every pin has the same TTL, so the least recently used is also the first to expire: the
    // front of the map is what goes, and a full map costs one eviction per pin, not a sweep.
    while (this.#pins.size > this.#options.max) {
      this.#pins.delete(this.#pins.keys().next().value!);
    }
  }

  /** Drops every expired pin; returns how many went. */
  sweep(): number {
    const now = this.#now();
    let dropped = 0;
    for (const [key, pin] of this.#pins) {
      if (pin.expiresAt <= now) {
        this.#pins.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}

// A NUL cannot occur in a session id or provider id, so the pair maps to one key unambiguously.
const pinKey = (sessionId: string, provider: string) => `${sessionId}\u0000${provider}`;
