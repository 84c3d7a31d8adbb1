// Failover as a decorator: a candidate chain in, one ModelProvider out; KIND_POLICY is the policy.
import { fitMessages } from "./context.js";
import type { CooldownTarget, Cooldowns } from "./cooldowns.js";
import type { SessionPins } from "./pins.js";
import {
  ALL_COOLING,
  type AttemptRecord,
  type Credential,
  KIND_POLICY,
  type KindPolicy,
  ModelError,
  type ModelErrorKind,
  type ModelProvider,
  type StreamEvent,
  type StreamRequest,
} from "./types.js";

/** One model a turn may try, already resolved to its provider and limits. */
export interface Candidate {
  /** "provider/model" */
  ref: string;
  providerId: string;
  modelId: string;
  provider: ModelProvider;
  contextWindow: number;
  maxTokens?: number;
  /** The provider's baseUrl: network cooldowns are keyed by it (default: the provider id). */
  endpoint?: string;
}

export interface FailoverOptions {
  /** Total time the chain may spend before the first token, across every candidate (ms). */
  deadlineMs: number;
  /** What each error kind does; the default is KIND_POLICY. */
  policy?: Readonly<Record<ModelErrorKind, KindPolicy>>;
  /** Called when an attempt failed and the chain moves on to `next`. */
  onFailover?: (failed: AttemptRecord, next: Candidate) => void;
  /**
   * The session's credential pins: an attempt sends the provider's pinned credential while it is
   * in the provider's list; a success pins what it used, a failure whose kind rotates credentials
   * pins the next one, so the session's next turn starts there.
   */
  pins?: SessionPins;
  /** The gateway's cooldowns: cooled candidates and credentials are skipped, outcomes recorded. */
  cooldowns?: Cooldowns;
  /**
   * Larger models for a prompt that is too long: a `context_length` failure (which otherwise
   * stops the turn) goes on with these in place of the rest of the chain, once per turn.
   */
  contextFallbacks?: readonly Candidate[];
}

/** A candidate (or one of its credentials) skipped because it is cooling down. */
interface Cooling {
  provider: string;
  model: string;
  kind: ModelErrorKind;
  until: number;
}

/**
 * Calls the candidates in order until one streams a reply. Each attempt gets the prompt fitted to
 * that candidate's context window and a credential chosen from its provider's list (the session's
 * pin first, cooled ones skipped), and yields an `attempt` event first. An attempt that fails
 * before any text tries the provider's next credential when its kind rotates credentials, else
 * moves on when the policy says `next_candidate`, the chain has more and the deadline has not
 * passed; otherwise its error ends the stream, carrying every attempt. Once text was yielded a
 * failure is final: the caller already showed that text and a second model would contradict it.
 * When every candidate is cooling the stream fails at once: a turn never sleeps out a cooldown.
 */
export class FailoverProvider implements ModelProvider {
  readonly id = "failover";
  readonly credentials: readonly Credential[] = [];
  readonly #candidates: readonly Candidate[];
  readonly #options: FailoverOptions;

  constructor(candidates: readonly Candidate[], options: FailoverOptions) {
    if (candidates.length === 0) throw new Error("FailoverProvider needs at least one candidate");
    this.#candidates = candidates;
    this.#options = options;
  }

  async *stream(request: StreamRequest): AsyncGenerator<StreamEvent> {
    const policy = this.#options.policy ?? KIND_POLICY;
    const cooldowns = this.#options.cooldowns;
    const deadline = Date.now() + this.#options.deadlineMs;
    const attempts: AttemptRecord[] = [];
    const cooling: Cooling[] = [];
    let last: { err: ModelError; c: Candidate } | undefined;
    const chain = [...this.#candidates];
    let contextWalk = (this.#options.contextFallbacks ?? []).filter(
      (f) => !chain.some((c) => c.ref === f.ref),
    );
    for (let i = 0; i < chain.length; i++) {
      const c = chain[i]!;
      const tried = new Set<string>();
      for (;;) {
        const pick = this.#pick(c, tried, cooling);
        if (pick === undefined) break;
        const { credential, probes } = pick;
        tried.add(credential.id);
        if (last !== undefined) this.#options.onFailover?.(attempts[attempts.length - 1]!, c);
        yield {
          type: "attempt",
          ref: c.ref,
          provider: c.providerId,
          model: c.modelId,
          credential: credential.id,
        };
        const attempt = new Attempt(c, credential, request, deadline);
        const started = performance.now();
        let settled = false;
        const succeed = () => {
          settled = true;
          cooldowns?.success(target(c, credential));
          this.#options.pins?.set(c.providerId, credential.id);
        };
        try {
          for await (const ev of attempt.start()) {
            attempt.observe(ev);
            // The verdict goes in before `done` is passed on: a caller that stops reading at
            // `done` closes this generator there, and a success must still close the key.
            if (ev.type === "done") succeed();
            yield ev;
          }
          if (!settled) succeed();
          return;
        } catch (err) {
          settled = true;
          if (request.signal.aborted) {
            cooldowns?.release(probes);
            throw err;
          }
          const failure = attempt.failure(err);
          const url = failure.kind === "endpoint_not_found" ? failure.url : undefined;
          cooldowns?.failure(target(c, credential), failure.kind, failure.retryAfterMs, probes, url);
          attempts.push(record(c, credential, failure, performance.now() - started));
          last = { err: failure, c };
          const rule = policy[failure.kind];
          if (rule.rotateCredential) {
            this.#options.pins?.set(c.providerId, nextCredential(c.provider, credential).id);
          }
          const toLarger = failure.kind === "context_length" && contextWalk.length > 0;
          const moves =
            !attempt.streamed && (rule.failover === "next_candidate" || toLarger) && Date.now() < deadline;
          if (!moves) throw withAttempts(failure, attempts, c.provider.credentials, cooling);
          if (toLarger) {
            chain.splice(i + 1, Infinity, ...contextWalk);
            contextWalk = [];
          }
          if (!rule.rotateCredential) break;
        } finally {
          attempt.dispose();
          // The caller stopped reading mid-stream: no verdict, so the probe goes back.
          if (!settled) cooldowns?.release(probes);
        }
      }
    }
    if (last !== undefined) {
      throw withAttempts(last.err, attempts, last.c.provider.credentials, cooling);
    }
    throw allCooling(cooling);
  }

  /** The credential an attempt of `c` sends, or undefined when every untried one is cooling. */
  #pick(
    c: Candidate,
    tried: ReadonlySet<string>,
    cooling: Cooling[],
  ): { credential: Credential; probes: string[] } | undefined {
    const first = pickCredential(c.provider, this.#options.pins?.get(c.providerId));
    const list = c.provider.credentials.length > 0 ? c.provider.credentials : [first];
    const start = Math.max(
      0,
      list.findIndex((k) => k.id === first.id),
    );
    for (let i = 0; i < list.length; i++) {
      const credential = list[(start + i) % list.length]!;
      if (tried.has(credential.id)) continue;
      const admission = this.#options.cooldowns?.admit(target(c, credential)) ?? {
        admitted: true as const,
        probes: [],
      };
      if (admission.admitted) return { credential, probes: admission.probes };
      cooling.push({
        provider: c.providerId,
        model: c.modelId,
        kind: admission.kind,
        until: admission.until,
      });
    }
    return undefined;
  }
}

/** The error of a turn whose every candidate is cooling: the soonest one's kind, and when to retry. */
function allCooling(cooling: readonly Cooling[]): ModelError {
  const soonest = [...cooling].sort((a, b) => a.until - b.until)[0]!;
  const retryAfterMs = Math.max(1, soonest.until - Date.now());
  const seconds = Math.ceil(retryAfterMs / 1000);
  return new ModelError(soonest.kind, `every model candidate is cooling down; retry in ${seconds}s`, {
    provider: soonest.provider,
    model: soonest.model,
    retryAfterMs,
    details: {
      reason: ALL_COOLING,
      retryAfterMs,
      candidates: cooling.map((x) => ({ ...x, until: new Date(x.until).toISOString() })),
    },
  });
}

/** What cooldowns key an attempt by. */
function target(c: Candidate, credential: Credential): CooldownTarget {
  return {
    provider: c.providerId,
    model: c.modelId,
    credentialId: credential.id,
    apiKey: credential.apiKey,
    endpoint: c.endpoint ?? c.providerId,
  };
}

/**
 * One call to one candidate, with the chain's deadline armed until its first token. Its signal
 * aborts with the caller's or when that deadline passes.
 */
class Attempt {
  streamed = false;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  #deadlinePassed = false;
  readonly #onCallerAbort = () => this.#controller.abort(this.request.signal.reason);

  constructor(
    private readonly c: Candidate,
    private readonly credential: Credential,
    private readonly request: StreamRequest,
    deadline: number,
  ) {
    this.#timer = setTimeout(
      () => {
        this.#deadlinePassed = true;
        this.#controller.abort(new Error("failover deadline passed"));
      },
      Math.max(0, deadline - Date.now()),
    );
    if (request.signal.aborted) this.#onCallerAbort();
    else request.signal.addEventListener("abort", this.#onCallerAbort, { once: true });
  }

  /** The candidate's stream: the prompt fitted to its window, this attempt's credential and signal. */
  start(): AsyncIterable<StreamEvent> {
    const { c, request } = this;
    const limits = { contextWindow: c.contextWindow, provider: c.providerId, model: c.modelId };
    const fit = fitMessages(request.messages, {
      ...limits,
      ...(c.maxTokens === undefined ? {} : { maxTokens: c.maxTokens }),
    });
    const maxTokens = request.maxTokens ?? c.maxTokens;
    // Tools, sampling and reasoning pass through as the caller set them.
    return c.provider.stream({
      ...request,
      model: c.modelId,
      messages: fit.messages,
      ...(maxTokens === undefined ? {} : { maxTokens }),
      credential: this.credential,
      signal: this.#controller.signal,
    });
  }

  /**
   * Sees each event before the caller does. Reasoning and tool calls reached the caller as much
   * as text: once any is out, the deadline stops and a failure is final (no second model's
   * output mixed in).
   */
  observe(ev: StreamEvent): void {
    if (this.streamed) return;
    if (ev.type === "text" || ev.type === "thinking" || ev.type.startsWith("tool_call")) {
      this.streamed = true;
      clearTimeout(this.#timer);
    }
  }

  /** The ModelError an attempt failed with; the deadline firing first is a `timeout`. */
  failure(err: unknown): ModelError {
    if (this.#deadlinePassed && !this.streamed) {
      return new ModelError("timeout", `no reply within the failover deadline from ${this.c.ref}`, {
        provider: this.c.providerId,
        model: this.c.modelId,
      });
    }
    if (err instanceof ModelError) return err;
    throw err;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.request.signal.removeEventListener("abort", this.#onCallerAbort);
  }
}

/**
 * The credential an attempt sends: the session's pin while the provider still lists it (a reload
 * may have removed it), else the first; `#pick` walks on from it past cooled ones.
 */
function pickCredential(provider: ModelProvider, pinned: string | undefined): Credential {
  const pin = pinned === undefined ? undefined : provider.credentials.find((k) => k.id === pinned);
  return pin ?? provider.credentials[0] ?? { id: `${provider.id}:none`, apiKey: undefined };
}

/** The credential after `current` in the provider's order, wrapping around (itself when alone). */
function nextCredential(provider: ModelProvider, current: Credential): Credential {
  const list = provider.credentials;
  const i = list.findIndex((k) => k.id === current.id);
  return list[(i + 1) % list.length] ?? current;
}

function record(c: Candidate, credential: Credential, err: ModelError, ms: number): AttemptRecord {
  return {
    ref: c.ref,
    provider: c.providerId,
    model: c.modelId,
    credential: credential.id,
    kind: err.kind,
    message: withoutKeys(err.message, c.provider.credentials),
    ...(err.status === undefined ? {} : { status: err.status }),
    ...(err.code === undefined ? {} : { code: err.code }),
    ms: Math.round(ms),
  };
}

/**
 * The error that ends the turn, with the record of every attempt made. Candidates skipped as
 * cooling are named in its details too (`cooling`, `coolingRetryAfterMs`), so the user sees the
 * whole chain: what failed now, what rests from before, and when that ends.
 */
function withAttempts(
  err: ModelError,
  attempts: AttemptRecord[],
  credentials: readonly Credential[],
  cooling: readonly Cooling[],
): ModelError {
  const details =
    cooling.length === 0
      ? err.details
      : {
          ...err.details,
          cooling: cooling.map((x) => ({ ...x, until: new Date(x.until).toISOString() })),
          coolingRetryAfterMs: Math.max(1, Math.min(...cooling.map((x) => x.until)) - Date.now()),
        };
  return new ModelError(err.kind, withoutKeys(err.message, credentials), {
    provider: err.provider,
    model: err.model,
    ...(err.status === undefined ? {} : { status: err.status }),
    ...(err.code === undefined ? {} : { code: err.code }),
    ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
    ...(err.url === undefined ? {} : { url: err.url }),
    ...(details === undefined ? {} : { details }),
    attempts,
    cause: err,
  });
}

/**
 * A vendor's error text with the provider's keys masked: some vendors quote the key they
 * rejected, and this text reaches chat events, the transcript and `agent` results.
 */
function withoutKeys(text: string, credentials: readonly Credential[]): string {
  let out = text;
  for (const { apiKey } of credentials) {
    if (apiKey !== undefined && apiKey.length >= 4) out = out.split(apiKey).join("[redacted]");
  }
  return out;
}
