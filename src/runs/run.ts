// One Run owns everything about one model turn: text, throttle state, seq, subscribers, abort, timers, result.
import { unavailable } from "../protocol/errors.js";
import type {
  ChatMessage,
  ContentPart,
  ReasoningEffort,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
} from "../models/messages.js";
import type { RunEvent, RunEventBody, RunListener, WrittenMessage } from "./events.js";

export type RunMethod = "chat" | "agent";
export type RunStatus = "queued" | "running" | "ended";

/** How a run ended. `ok` finished; `error` failed (kind says why); `aborted` was stopped. */
export type RunOutcome =
  | { status: "ok"; stopReason: string }
  | { status: "error"; kind: string; message: string; details?: Record<string, unknown> }
  | { status: "aborted"; reason: AbortReason; message: string };

export type AbortReason = "user" | "interrupt" | "shutdown" | "stale" | "client-gone" | "timeout";

/** What stays after a run ends, for agent.wait and idempotency, until its TTL passes. */
export interface FinishedRun {
  readonly runId: string;
  readonly method: RunMethod;
  readonly sessionKey: string;
  readonly sessionId: string;
  readonly status: "ok" | "error" | "aborted";
  /** The model's stop reason (stop, length, tool_calls …) for an ok run; "error" or "aborted" otherwise. */
  readonly stopReason: string;
  readonly startedAt: number | undefined;
  readonly endedAt: number;
  readonly text: string;
  /**
   * How it failed; `retryAfterMs` when the provider (or every cooling candidate) said when to
   * retry, `cooling` when no candidate was asked because every one was cooling down.
   */
  readonly error?: { kind: string; message: string; retryAfterMs?: number; cooling?: true };
  readonly provider?: string;
  readonly model?: string;
  readonly usage?: RunUsage;
  readonly timings?: RunTimings;
}

/** A run's token usage: prompt and reply tokens, and prompt tokens read from / written to the vendor's cache. */
export interface RunUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/**
 * Where a run's time went (ms): waiting in its session's queue, from the first model call to the
 * first token (the provider pool's queue, connect and the model's own latency, across failover
 * attempts), and in all.
 */
export interface RunTimings {
  queuedMs: number;
  firstTokenMs?: number;
  totalMs: number;
}

export interface RunInit {
  runId: string;
  method: RunMethod;
  sessionKey: string;
  agentId: string;
  sessionId: string;
  message: string;
  timeoutMs: number;
  /** Set for runs owned by a waiting HTTP request: the request's disconnect aborts the run. */
  ownerSignal?: AbortSignal;
  extraSystemPrompt?: string;
  /** Opaque id of who started the run (a WebSocket connection id), copied onto every event. */
  startedBy?: string;
  /** A strict model ref for this run (`provider/model`), no failover. */
  model?: string;
  /** The user message's rich parts (images, tool results), when it is more than `message`. */
  parts?: readonly ContentPart[];
  /** What the caller asks of the model for this turn (tools, sampling, reasoning). */
  options?: TurnOptions;
  /**
   * Where the message came from when it is untrusted external input (`hook`, `hook:github`):
   * it is stored with that mark and wrapped in a boundary whenever a model reads it.
   */
  untrusted?: string;
  /**
   * The prompt's history when the caller holds it whole (a one-off HTTP run sent its conversation
   * with the request): the turn reads it instead of the transcript, and it is never stored.
   */
  history?: readonly ChatMessage[];
  /**
   * A stateless run (a one-off HTTP request): nothing of it goes to the transcript (no user
   * message, reply or run mark) and its session need not exist; only its durable usage record
   * is written. With it, `history` carries the conversation.
   */
  stateless?: boolean;
}

/** Per-turn model options a surface may set (the OpenAI API's tools and sampling fields). */
export interface TurnOptions {
  tools?: readonly ToolDefinition[];
  toolChoice?: ToolChoice;
  temperature?: number;
  topP?: number;
  stop?: readonly string[];
  maxTokens?: number;
  seed?: number;
  responseFormat?: ResponseFormat;
  reasoning?: ReasoningEffort;
}

/** Bounds on what may attach to one run (runs.* config, read at admission). */
export interface RunLimits {
  /** Listeners and iterators following the run at once. */
  maxSubscribers: number;
  /** agent.wait and HTTP callers waiting for the run's end at once. */
  maxWaiters: number;
  /** Events an iterator may hold unread before it fails as too slow. */
  subscriberBacklog: number;
}

/** Where every event of every run goes besides the run's own subscribers (the surfaces' taps). */
export type RunSink = (event: RunEvent) => void;

export class Run {
  readonly runId: string;
  readonly method: RunMethod;
  readonly sessionKey: string;
  readonly agentId: string;
  readonly sessionId: string;
  readonly message: string;
  readonly timeoutMs: number;
  readonly extraSystemPrompt: string | undefined;
  readonly startedBy: string | undefined;
  readonly model: string | undefined;
  readonly parts: readonly ContentPart[] | undefined;
  readonly options: TurnOptions | undefined;
  readonly untrusted: string | undefined;
  readonly history: readonly ChatMessage[] | undefined;
  readonly stateless: boolean;
  readonly acceptedAt = Date.now();
  /** Reasoning text so far (kept apart from `text`): freed by dispose(). */
  thinking = "";
  /** The vendor's seal over `thinking` when it is one sealed block; "" once it is not. */
  thinkingSignature: string | undefined;
  /** When the first candidate was called, and when the first token arrived (timings). */
  firstAttemptAt: number | undefined;
  firstTokenAt: number | undefined;
  /** Tool calls the model made this turn, in order. */
  toolCalls: { id: string; name: string; arguments: string }[] = [];
  status: RunStatus = "queued";
  startedAt: number | undefined;
  /** Last time anything happened (a byte from the provider, a state change): the stale sweep reads it. */
  lastActivityAt = Date.now();
  /** Per-run event counter (RunEvent.seq); surfaces number their frames from it. */
  seq = 0;
  /** The raw assistant text so far: freed by dispose(). */
  text = "";
  /** How much of `text` the last chat delta carried (throttling). */
  sentLength = 0;
  /** How much of `thinking` the last thinking event carried (the same throttle). */
  thinkingSent = 0;
  lastDeltaAt = 0;
  deltaTimer: NodeJS.Timeout | undefined;
  timeoutTimer: NodeJS.Timeout | undefined;
  provider: string | undefined;
  modelId: string | undefined;
  /** Token usage the provider reported (cache figures where it reports them). */
  usage: RunUsage | undefined;
  readonly controller = new AbortController();
  /** The user message's write, started at admission; the turn reads history after it. */
  userWrite: Promise<WrittenMessage> | undefined;
  /** Why the run was aborted, when it was. */
  abortReason: AbortReason | undefined;
  private readonly waiters = new Set<(finished: FinishedRun) => void>();
  private readonly subscribers = new Set<RunListener>();
  /** Set by dispose(): later waitEnd() calls answer from it at once. */
  private finished: FinishedRun | undefined;
  private readonly unlinkOwner: (() => void) | undefined;

  constructor(
    init: RunInit,
    private readonly limits: RunLimits,
    private readonly sink: RunSink,
    onOwnerGone?: () => void,
  ) {
    this.runId = init.runId;
    this.method = init.method;
    this.sessionKey = init.sessionKey;
    this.agentId = init.agentId;
    this.sessionId = init.sessionId;
    this.message = init.message;
    this.timeoutMs = init.timeoutMs;
    this.extraSystemPrompt = init.extraSystemPrompt;
    this.startedBy = init.startedBy;
    this.model = init.model;
    this.parts = init.parts;
    this.options = init.options;
    this.untrusted = init.untrusted;
    this.history = init.history;
    this.stateless = init.stateless === true;
    const owner = init.ownerSignal;
    if (owner && onOwnerGone) {
      owner.addEventListener("abort", onOwnerGone, { once: true });
      this.unlinkOwner = () => owner.removeEventListener("abort", onOwnerGone);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Events a follower (RunFollower) may hold unread before it fails as too slow. */
  get subscriberBacklog(): number {
    return this.limits.subscriberBacklog;
  }

  /** Appends streamed text; ignored once the run ended (a provider still unwinding after abort). */
  appendText(delta: string): void {
    if (this.status === "ended") return;
    this.text += delta;
    this.lastActivityAt = Date.now();
  }

  touch(): void {
    this.lastActivityAt = Date.now();
  }

  /**
   * Resolves with the finished record when the run ends (agent final res, agent.wait, HTTP
   * waiters), or with undefined when `signal` aborts first — the waiter is removed then, so
   * callers that gave up hold nothing. Past `maxWaiters` it throws a retryable UNAVAILABLE.
   */
  waitEnd(signal?: AbortSignal): Promise<FinishedRun | undefined> {
    if (this.finished) return Promise.resolve(this.finished);
    if (this.waiters.size >= this.limits.maxWaiters) throw tooMany("waiters", this.limits.maxWaiters);
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(undefined);
      const onAbort = () => {
        this.waiters.delete(waiter);
        resolve(undefined);
      };
      const waiter = (finished: FinishedRun) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(finished);
      };
      this.waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Follows the run from its current point: `listener` gets every later event, up to and
   * including the terminal one, after which the set is cleared. Returns the unsubscribe.
   * Past `maxSubscribers` it throws a retryable UNAVAILABLE.
   */
  subscribe(listener: RunListener): () => void {
    if (this.status === "ended") return () => {};
    if (this.subscribers.size >= this.limits.maxSubscribers) {
      throw tooMany("subscribers", this.limits.maxSubscribers);
    }
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /**
   * Emits one event to the surfaces' sink and to this run's subscribers. A listener that throws
   * is dropped: a broken surface must not stop the run or the other surfaces.
   */
  publish(body: RunEventBody): RunEvent {
    const seq = body.type === "accepted" ? 0 : ++this.seq;
    const event = {
      runId: this.runId,
      sessionKey: this.sessionKey,
      agentId: this.agentId,
      sessionId: this.sessionId,
      seq,
      ts: Date.now(),
      ...(this.startedBy === undefined ? {} : { startedBy: this.startedBy }),
      ...body,
    } as RunEvent;
    try {
      this.sink(event);
    } catch {
      // A surface's tap failing must not stop the run; the other surfaces still get the event.
    }
    for (const listener of this.subscribers) {
      try {
        listener(event);
      } catch {
        this.subscribers.delete(listener);
      }
    }
    return event;
  }

  abort(reason: AbortReason): void {
    if (this.controller.signal.aborted) return;
    this.abortReason = reason;
    this.controller.abort(new RunAbortedError(reason));
  }

  /**
   * Frees every buffer and timer and answers waiters. Called once, by RunRegistry.end only —
   * without it, a run that missed its terminal event would keep its text forever.
   */
  dispose(finished: FinishedRun): void {
    clearTimeout(this.deltaTimer);
    clearTimeout(this.timeoutTimer);
    this.deltaTimer = undefined;
    this.timeoutTimer = undefined;
    this.unlinkOwner?.();
    this.text = "";
    this.thinking = "";
    this.thinkingSignature = undefined;
    this.toolCalls = [];
    this.status = "ended";
    this.finished = finished;
    this.subscribers.clear();
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w(finished);
  }
}

/** The reason a run's signal carries when it is aborted (never a provider failure). */
export class RunAbortedError extends Error {
  constructor(readonly reason: AbortReason) {
    super(`run aborted (${reason})`);
    this.name = "RunAbortedError";
  }
}

/** The config key behind each per-run bound, named in the overload error. */
const LIMIT_KEYS = {
  waiters: "runs.maxWaitersPerRun",
  subscribers: "runs.maxSubscribersPerRun",
} as const;

function tooMany(what: keyof typeof LIMIT_KEYS, limit: number) {
  return unavailable(`too many ${what} on this run (limit ${limit})`, "overloaded", 1_000, {
    limit: LIMIT_KEYS[what],
  });
}
