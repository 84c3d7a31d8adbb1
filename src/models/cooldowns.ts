// Cooldowns: which (credential, model), credential or endpoint is resting after a failure, for how long, and its probe.
import { createHash } from "node:crypto";
import type { Config } from "../config/schema.js";
import { type CooldownScope, KIND_POLICY, type KindPolicy, type ModelErrorKind } from "./types.js";

/** What one attempt calls, as far as cooldowns care. */
export interface CooldownTarget {
  provider: string;
  model: string;
  /** The credential's stable id (a profile name), shown in status; never the secret. */
  credentialId: string;
  /** The secret, only to fingerprint it: a replaced key starts with a clean slate. */
  apiKey: string | undefined;
  /** The provider's endpoint (its baseUrl); every credential of it shares network cooldowns. */
  endpoint: string;
}

/** Step tables (ms) and limits, from `models.cooldowns`. */
export interface CooldownSettings {
  rateLimitStepsMs: readonly number[];
  failureStepsMs: readonly number[];
  billingStepsMs: readonly number[];
  /** Consecutive server errors before (credential, model) cools. */
  serverErrorThreshold: number;
  /** A Retry-After hint sets the cooldown, up to this (ms). */
  maxRetryAfterMs: number;
  /** Entries kept at most; past it the oldest go first. */
  maxEntries: number;
  /** How long an expired entry keeps its step count before it is forgotten (ms). */
  ttlMs: number;
  /** A probe that neither succeeded nor failed within this is given up (ms). */
  probeTimeoutMs: number;
}

export const DEFAULT_COOLDOWN_SETTINGS: CooldownSettings = {
  rateLimitStepsMs: [10_000, 30_000, 60_000, 300_000],
  failureStepsMs: [30_000, 60_000, 300_000],
  billingStepsMs: [5 * 3_600_000, 24 * 3_600_000],
  serverErrorThreshold: 3,
  maxRetryAfterMs: 300_000,
  maxEntries: 10_000,
  ttlMs: 3_600_000,
  probeTimeoutMs: 120_000,
};

/** The settings of one config generation (read at use time, so a reload applies at once). */
export function cooldownSettings(config: Config): CooldownSettings {
  const c = config.models.cooldowns;
  return { ...c, probeTimeoutMs: config.models.failoverDeadlineMs };
}

/** One key's state, as persisted and as `status` shows it. */
export interface CooldownEntry {
  key: string;
  scope: Exclude<CooldownScope, "none">;
  provider: string;
  model?: string;
  credentialId?: string;
  endpoint?: string;
  /** The kind that opened (or last re-opened) it. */
  kind: ModelErrorKind;
  /** Epoch ms it cools until (0 while it only counts consecutive failures). */
  until: number;
  /** How many times it opened since the last success (the next step's index). */
  step: number;
  /** Consecutive failures counted toward a threshold (server_error). */
  consecutive: number;
}

/** One cooldown as surfaces show it ("disabled": cooling for billing, hours long). */
export interface CooldownView {
  scope: CooldownEntry["scope"];
  provider: string;
  credential?: string;
  model?: string;
  endpoint?: string;
  state: "cooling" | "probing" | "expired" | "disabled";
  kind: ModelErrorKind;
  until: string;
}

/** A model's most recent failure, as surfaces show it. */
export interface LastError {
  kind: ModelErrorKind;
  /** ISO time of the failure. */
  at: string;
  /** The credential (profile id) the failed attempt sent. */
  credential: string;
  /** The URL that answered, when it matters (endpoint_not_found: check that provider's baseUrl). */
  url?: string;
}

/** Where cooldown state is written so a restart keeps it; the session store implements it. */
export interface CooldownPort {
  load(): Promise<CooldownEntry[]>;
  save(entry: CooldownEntry): void;
  remove(key: string): void;
}

/** Whether an attempt may go out, and which expired keys it probes (half-open). */
export type Admission =
  { admitted: true; probes: string[] } | { admitted: false; kind: ModelErrorKind; until: number };

interface Live extends CooldownEntry {
  probeSince?: number;
}

export interface CooldownsOptions {
  settings?: () => CooldownSettings;
  policy?: Readonly<Record<ModelErrorKind, KindPolicy>>;
  port?: CooldownPort;
  now?: () => number;
}

/**
 * Every cooldown of a gateway in one bounded map. A cooled key gets no requests until it
 * expires; then exactly one attempt probes it (others still see it cooling) and its outcome
 * closes the key (success: forgotten, steps reset) or re-opens it with the next step.
 */
export class Cooldowns {
  readonly #entries = new Map<string, Live>();
  /** Each model's last failure of any kind, cooling or not (bounded like the entries; not persisted). */
  readonly #lastErrors = new Map<string, LastError>();
  readonly #options: CooldownsOptions;

  constructor(options: CooldownsOptions = {}) {
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Restores persisted entries (a restart keeps a provider cooled). */
  async restore(): Promise<void> {
    const port = this.#options.port;
    if (!port) return;
    for (const e of await port.load()) {
      if (!this.#stale(e)) this.#entries.set(e.key, { ...e });
    }
  }

  /** Decides one attempt; admitted attempts must end with `success` or `failure` (or `release`). */
  admit(target: CooldownTarget): Admission {
    const now = this.#now();
    const keys = keysOf(target);
    let blocked: Live | undefined;
    const expired: Live[] = [];
    for (const key of keys) {
      const e = this.#get(key.key);
      if (e === undefined || e.until === 0) continue;
      const probing = e.probeSince !== undefined && now - e.probeSince < this.#settings().probeTimeoutMs;
      if (e.until > now || probing) {
        if (blocked === undefined || e.until < blocked.until) blocked = e;
      } else expired.push(e);
    }
    if (blocked) return { admitted: false, kind: blocked.kind, until: blocked.until };
    for (const e of expired) e.probeSince = now;
    return { admitted: true, probes: expired.map((e) => e.key) };
  }

  /** The attempt worked: every key it touched is forgotten (steps reset). */
  success(target: CooldownTarget): void {
    for (const { key } of keysOf(target)) {
      if (this.#entries.delete(key)) this.#persist((port) => port.remove(key));
    }
  }

  /** Gives probes back without a verdict (the caller aborted, or the failure cools nothing). */
  release(probes: readonly string[]): void {
    for (const key of probes) {
      const e = this.#entries.get(key);
      if (e) delete e.probeSince;
    }
  }

  /** Records a failure (and the model's last error); returns the entry it opened, if it cooled something. */
  failure(
    target: CooldownTarget,
    kind: ModelErrorKind,
    retryAfterMs: number | undefined,
    probes: readonly string[],
    url?: string,
  ): CooldownEntry | undefined {
    this.release(probes);
    this.#noteError(target, kind, url);
    const rule = (this.#options.policy ?? KIND_POLICY)[kind].coolDown;
    if (rule.scope === "none") return undefined;
    const settings = this.#settings();
    const key = keysOf(target).find((k) => k.scope === rule.scope)!;
    const now = this.#now();
    const e = this.#get(key.key) ?? this.#insert({ ...key, kind, until: 0, step: 0, consecutive: 0 });
    e.consecutive += 1;
    if (rule.afterConsecutive && e.consecutive < settings.serverErrorThreshold) {
      this.#persist((port) => port.save(e));
      return undefined;
    }
    const steps = stepsOf(settings, rule.steps);
    const ms =
      retryAfterMs !== undefined
        ? Math.min(retryAfterMs, settings.maxRetryAfterMs)
        : (steps[Math.min(e.step, steps.length - 1)] ?? 0);
    // A later, shorter hint never shortens a cooldown already running.
    e.until = Math.max(e.until > now ? e.until : 0, now + ms);
    e.step += 1;
    e.kind = kind;
    this.#persist((port) => port.save(e));
    return { ...e };
  }

  /** Every live entry, for `status` and `models.list`. */
  entries(): (CooldownEntry & { state: "cooling" | "probing" | "expired" })[] {
    const now = this.#now();
    const out: (CooldownEntry & { state: "cooling" | "probing" | "expired" })[] = [];
    for (const key of [...this.#entries.keys()]) {
      const e = this.#get(key);
      if (!e || e.until === 0) continue;
      const { probeSince, ...rest } = e;
      const state = probeSince !== undefined ? "probing" : e.until > now ? "cooling" : "expired";
      out.push({ ...rest, state });
    }
    return out;
  }

  /**
   * What `status` and `models.list` show: each live cooldown by provider, credential (profile
   * id, never the secret), model or endpoint, its state, until when and why. With `provider`
   * (and `model`), only the ones that hold that model back.
   */
  view(provider?: string, model?: string): CooldownView[] {
    return this.entries()
      .filter((e) => provider === undefined || e.provider === provider)
      .filter((e) => model === undefined || e.model === undefined || e.model === model)
      .map((e) => ({
        scope: e.scope,
        provider: e.provider,
        ...(e.credentialId === undefined ? {} : { credential: e.credentialId }),
        ...(e.model === undefined ? {} : { model: e.model }),
        ...(e.endpoint === undefined ? {} : { endpoint: e.endpoint }),
        state: e.state === "cooling" && e.kind === "billing" ? "disabled" : e.state,
        kind: e.kind,
        until: new Date(e.until).toISOString(),
      }));
  }

  /** A model's last failure (any kind, also the ones that cool nothing, like a 404), if any. */
  lastError(provider: string, model: string): LastError | undefined {
    return this.#lastErrors.get(`${provider}|${model}`);
  }

  #noteError(target: CooldownTarget, kind: ModelErrorKind, url: string | undefined): void {
    const key = `${target.provider}|${target.model}`;
    this.#lastErrors.delete(key);
    if (this.#lastErrors.size >= this.#settings().maxEntries) {
      const oldest = this.#lastErrors.keys().next();
      if (!oldest.done) this.#lastErrors.delete(oldest.value);
    }
    const at = new Date(this.#now()).toISOString();
    this.#lastErrors.set(key, { kind, at, credential: target.credentialId, ...(url ? { url } : {}) });
  }

  #get(key: string): Live | undefined {
    const e = this.#entries.get(key);
    if (e && this.#stale(e)) {
      this.#entries.delete(key);
      this.#persist((port) => port.remove(key));
      return undefined;
    }
    return e;
  }

  #stale(e: CooldownEntry): boolean {
    return e.until !== 0 && e.until + this.#settings().ttlMs <= this.#now();
  }

  #insert(e: Live): Live {
    const max = this.#settings().maxEntries;
    for (const key of this.#entries.keys()) {
      if (this.#entries.size < max) break;
      this.#entries.delete(key);
      this.#persist((port) => port.remove(key));
    }
    this.#entries.set(e.key, e);
    return e;
  }

  /** Persistence is best effort: a failed write must never fail the turn that caused it. */
  #persist(write: (port: CooldownPort) => void): void {
    const port = this.#options.port;
    if (!port) return;
    try {
      write(port);
    } catch {
      // The in-memory state still holds; the next change writes again.
    }
  }

  #settings(): CooldownSettings {
    return this.#options.settings?.() ?? DEFAULT_COOLDOWN_SETTINGS;
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }
}

/** Fingerprints of the keys seen, so an attempt does not hash its key again (bounded). */
const FINGERPRINTS = new Map<string, string>();
const MAX_FINGERPRINTS = 1_024;

/** A short, one-way fingerprint of a secret (never the secret itself). */
export function fingerprint(apiKey: string | undefined): string {
  if (apiKey === undefined) return "none";
  let print = FINGERPRINTS.get(apiKey);
  if (print === undefined) {
    print = createHash("sha256").update(apiKey).digest("hex").slice(0, 12);
    if (FINGERPRINTS.size >= MAX_FINGERPRINTS) FINGERPRINTS.clear();
    FINGERPRINTS.set(apiKey, print);
  }
  return print;
}

type KeyOf = Pick<CooldownEntry, "key" | "scope" | "provider" | "model" | "credentialId" | "endpoint">;

/** The three keys one attempt touches: (credential, model), credential, endpoint. */
function keysOf(t: CooldownTarget): KeyOf[] {
  const cred = `${t.provider}|${t.credentialId}#${fingerprint(t.apiKey)}`;
  const who = { provider: t.provider, credentialId: t.credentialId };
  return [
    { key: `cm|${cred}|${t.model}`, scope: "credential_model", ...who, model: t.model },
    { key: `c|${cred}`, scope: "credential", ...who },
    { key: `e|${t.endpoint}`, scope: "endpoint", provider: t.provider, endpoint: t.endpoint },
  ];
}

function stepsOf(s: CooldownSettings, table: "rate_limit" | "failure" | "billing"): readonly number[] {
  return table === "rate_limit"
    ? s.rateLimitStepsMs
    : table === "billing"
      ? s.billingStepsMs
      : s.failureStepsMs;
}
