// One Run owns everything about one model turn: text, throttle state, seq, abort, timers, result.

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
  readonly status: "ok" | "error" | "aborted";
  readonly startedAt: number | undefined;
  readonly endedAt: number;
  readonly text: string;
  readonly error?: { kind: string; message: string };
  readonly provider?: string;
  readonly model?: string;
  readonly usage?: { input: number; output: number };
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
  /** A strict model ref for this run (`provider/model`), no failover. */
  model?: string;
}

export class Run {
  readonly runId: string;
  readonly method: RunMethod;
  readonly sessionKey: string;
  readonly agentId: string;
  readonly sessionId: string;
  readonly message: string;
  readonly timeoutMs: number;
  readonly extraSystemPrompt: string | undefined;
  readonly model: string | undefined;
  readonly acceptedAt = Date.now();
  status: RunStatus = "queued";
  startedAt: number | undefined;
  /** Last time anything happened (a byte from the provider, a state change): the stale sweep reads it. */
  lastActivityAt = Date.now();
  /** Per-run monotonic sequence for agent/chat events. */
  seq = 0;
  /** The raw assistant text so far: freed by dispose(). */
  text = "";
  /** How much of `text` the last chat delta carried (throttling). */
  sentLength = 0;
  lastDeltaAt = 0;
  deltaTimer: NodeJS.Timeout | undefined;
  timeoutTimer: NodeJS.Timeout | undefined;
  provider: string | undefined;
  modelId: string | undefined;
  usage: { input: number; output: number } | undefined;
  readonly controller = new AbortController();
  /** The user message's write, started at admission; the turn reads history after it. */
  userWrite: Promise<{ seq: number }> | undefined;
  /** Why the run was aborted, when it was. */
  abortReason: AbortReason | undefined;
  private readonly waiters: ((finished: FinishedRun) => void)[] = [];
  private readonly unlinkOwner: (() => void) | undefined;

  constructor(init: RunInit, onOwnerGone?: () => void) {
    this.runId = init.runId;
    this.method = init.method;
    this.sessionKey = init.sessionKey;
    this.agentId = init.agentId;
    this.sessionId = init.sessionId;
    this.message = init.message;
    this.timeoutMs = init.timeoutMs;
    this.extraSystemPrompt = init.extraSystemPrompt;
    this.model = init.model;
    const owner = init.ownerSignal;
    if (owner && onOwnerGone) {
      owner.addEventListener("abort", onOwnerGone, { once: true });
      this.unlinkOwner = () => owner.removeEventListener("abort", onOwnerGone);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
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

  /** Resolves with the finished record when the run ends (agent final res, HTTP waiters). */
  waitEnd(): Promise<FinishedRun> {
    return new Promise((resolve) => this.waiters.push(resolve));
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
    this.status = "ended";
    for (const w of this.waiters.splice(0)) w(finished);
  }
}

/** The reason a run's signal carries when it is aborted (never a provider failure). */
export class RunAbortedError extends Error {
  constructor(readonly reason: AbortReason) {
    super(`run aborted (${reason})`);
    this.name = "RunAbortedError";
  }
}
