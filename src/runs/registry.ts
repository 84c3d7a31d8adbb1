// RunRegistry: the one map of runs, per-session lanes, limits, the single end path and the sweeper.
import type { RunsConfig } from "../config/schema.js";
import { ALL_COOLING } from "../models/types.js";
import { invalidRequest, unavailable } from "../protocol/errors.js";
import {
  type AbortReason,
  type FinishedRun,
  Run,
  type RunInit,
  type RunMethod,
  type RunOutcome,
  type RunSink,
} from "./run.js";

/** The reason a run's signal carries once it ended normally (one object: nothing reads its stack). */
const RUN_ENDED = new Error("run ended");

/** Runs that must have ended since the last memory release before an idle sweep releases again. */
const RELEASE_AFTER_RUNS = 1_000;

export type QueueMode = "followup" | "interrupt" | "steer" | "collect";

/** What the registry calls out to; the engine supplies these. */
export interface RunHooks {
  /** Runs the turn; resolves with how it ended. A throw is an internal error. */
  execute(run: Run): Promise<RunOutcome>;
  /**
   * Called exactly once per run after it ended, before its buffers are freed: persist, then emit
   * the terminal event. The session's lane stays reserved until it resolves, so the next run's
   * prompt always sees this run's reply.
   */
  onEnd(finished: FinishedRun, outcome: RunOutcome, run: Run): Promise<void>;
}

export interface RegistryOptions {
  /** Where every run's events go besides its own subscribers (the surfaces' taps). */
  sink?: RunSink;
  /** A hook threw: logged by the owner; the run still ends. */
  onHookError?: (err: unknown, run: Run) => void;
  /** Heap pressure check before admission, and the memory release after a drained burst. */
  memory?: { underPressure(): boolean; release(): void };
}

/** An admitted request: a new run, or the run an idempotency key already names. */
export type Admission =
  { kind: "new"; run: Run } | { kind: "duplicate"; active?: Run; finished?: FinishedRun };

interface Lane {
  active: Run | undefined;
  queue: Run[];
}

export class RunRegistry {
  /** Every run in memory, queued or running. The only map keyed by runId that holds a Run. */
  readonly runs = new Map<string, Run>();
  /** Small records of ended runs, oldest first, for agent.wait and idempotency. */
  readonly finished = new Map<string, FinishedRun & { method: RunMethod }>();
  private readonly lanes = new Map<string, Lane>();
  private readonly sweeper: NodeJS.Timeout;
  /** Terminal callbacks fired (tests and status read it). */
  endedCount = 0;
  /** endedCount at the last memory release: a drained burst of many runs triggers one. */
  private endedAtRelease = 0;
  private closed = false;
  /** Woken when the last run ends while draining. */
  private readonly drainWaiters = new Set<() => void>();

  private readonly sink: RunSink;
  private readonly onHookError: (err: unknown, run: Run) => void;
  private readonly memory: { underPressure(): boolean; release(): void };

  /** `config` is read at use time: a reload's new limits apply at the next admission and sweep. */
  constructor(
    private readonly config: () => RunsConfig,
    private readonly hooks: RunHooks,
    options: RegistryOptions = {},
  ) {
    this.sink = options.sink ?? (() => {});
    this.onHookError = options.onHookError ?? (() => {});
    this.memory = options.memory ?? { underPressure: () => false, release: () => {} };
    // Always running, whatever runs asked for: a finished run leaves memory within one interval
    // past its TTL even if nothing else ever touches the registry again.
    this.sweeper = setInterval(() => this.sweep(), config().sweepIntervalMs);
    this.sweeper.unref();
  }

  /** Finds a run or its finished record by id. */
  lookup(runId: string): { active?: Run; finished?: FinishedRun } {
    const active = this.runs.get(runId);
    if (active) return { active };
    const finished = this.finished.get(runId);
    return finished ? { finished } : {};
  }

  /** Active run ids of a session (for chat.history and pruning). */
  activeRunIds(sessionKey: string): string[] {
    const lane = this.lanes.get(sessionKey);
    if (!lane) return [];
    return [...(lane.active ? [lane.active.runId] : []), ...lane.queue.map((r) => r.runId)];
  }

  hasActiveRun(sessionKey: string): boolean {
    return this.lanes.has(sessionKey);
  }

  /** The running run of a session, if any (in-flight text for chat.history). */
  runningRun(sessionKey: string): Run | undefined {
    return this.lanes.get(sessionKey)?.active;
  }

  /**
   * The existing run (or its finished record) an idempotency key names, if any. A key reused by
   * another method while known is a conflict.
   */
  duplicate(runId: string, method: RunMethod): Admission | undefined {
    const known = this.lookup(runId);
    const knownMethod = known.active?.method ?? known.finished?.method;
    if (knownMethod === undefined) return undefined;
    if (knownMethod !== method) {
      throw invalidRequest(`idempotencyKey ${runId} is already used by ${knownMethod}`, {
        code: "IDEMPOTENCY_CONFLICT",
      });
    }
    return { kind: "duplicate", ...known };
  }

  /**
   * Admits a run: dedupes by runId (= idempotency key), enforces the global limit and the
   * per-session queue cap, then starts it or queues it behind the session's active run.
   */
  admit(init: RunInit, queueMode: QueueMode = "followup"): Admission {
    const dup = this.duplicate(init.runId, init.method);
    if (dup) return dup;
    if (this.closed) throw unavailable("gateway is closing", "gateway-closing", 1_000);
    if (this.memory.underPressure()) {
      // Shed new work before the heap limit instead of dying of OOM with everything in flight.
      throw unavailable("the gateway is low on memory; retry shortly", "overloaded", 5_000, {
        limit: "heap",
      });
    }
    const config = this.config();
    if (this.runs.size >= config.maxConcurrent) {
      throw unavailable(`run limit reached (${config.maxConcurrent} runs)`, "overloaded", 1_000, {
        limit: "runs.maxConcurrent",
      });
    }
    const lane = this.lanes.get(init.sessionKey) ?? { active: undefined, queue: [] };
    if (lane.active && lane.queue.length >= config.maxQueuePerSession) {
      throw unavailable(`session queue is full (${config.maxQueuePerSession} waiting)`, "overloaded", 1_000, {
        limit: "runs.maxQueuePerSession",
      });
    }
    const limits = {
      maxSubscribers: config.maxSubscribersPerRun,
      maxWaiters: config.maxWaitersPerRun,
      subscriberBacklog: config.subscriberBacklog,
    };
    const run: Run = new Run(init, limits, this.sink, () => this.abort(run, "client-gone"));
    this.runs.set(run.runId, run);
    this.lanes.set(init.sessionKey, lane);
    const queued = lane.active !== undefined;
    if (queueMode === "interrupt" && lane.active) {
      lane.queue.unshift(run);
      this.abort(lane.active, "interrupt");
    } else if (lane.active) {
      lane.queue.push(run);
    } else {
      this.begin(lane, run);
    }
    run.publish({ type: "accepted", queued });
    return { kind: "new", run };
  }

  /** Aborts a run: a queued one ends at once; a running one ends when its provider call unwinds. */
  abort(run: Run, reason: AbortReason): void {
    if (run.status === "ended") return;
    run.abort(reason);
    if (run.status === "queued") {
      void this.end(run, { status: "aborted", reason, message: `aborted (${reason})` });
    }
  }

  /**
   * The one terminal path (finish, error, abort, timeout, shutdown, stale sweep, client gone).
   * Idempotent: the first call wins; later calls do nothing. Keeps a small record, persists and
   * emits through hooks.onEnd, frees the run, then releases the session's lane to its next run.
   * The lane stays held by this run until onEnd resolved: a run admitted meanwhile queues behind
   * it instead of starting with a history that lacks this run's reply.
   */
  async end(run: Run, outcome: RunOutcome): Promise<void> {
    if (run.status === "ended") return;
    // Synchronous guard: a second end() (stale sweep racing the provider unwinding) is a no-op.
    run.status = "ended";
    // Whatever still holds the run's signal stops (a provider unwinding after an error or an
    // abort). A run that finished has nothing left in flight: no abort event to dispatch.
    if (outcome.status !== "ok" && !run.signal.aborted) run.controller.abort(RUN_ENDED);
    const finished: FinishedRun = {
      runId: run.runId,
      method: run.method,
      sessionKey: run.sessionKey,
      sessionId: run.sessionId,
      status: outcome.status,
      stopReason: outcome.status === "ok" ? outcome.stopReason : outcome.status,
      startedAt: run.startedAt,
      endedAt: Date.now(),
      text: run.text,
      ...(outcome.status === "error" ? { error: failureOf(outcome) } : {}),
      ...(outcome.status === "aborted" ? { error: { kind: "aborted", message: outcome.message } } : {}),
      ...(run.provider ? { provider: run.provider } : {}),
      ...(run.modelId ? { model: run.modelId } : {}),
      ...(run.usage ? { usage: run.usage } : {}),
      timings: timingsOf(run, Date.now()),
    };
    this.runs.delete(run.runId);
    this.finished.set(run.runId, finished);
    this.capFinished();
    const lane = this.lanes.get(run.sessionKey);
    if (lane && lane.active !== run) lane.queue = lane.queue.filter((r) => r !== run);
    this.endedCount++;
    try {
      await this.hooks.onEnd(finished, outcome, run);
    } catch (err) {
      this.onHookError(err, run);
    }
    run.dispose(finished);
    // Only the run holding the lane moves it on: a queued run that ended left it to its owner.
    if (lane && lane.active === run) {
      lane.active = undefined;
      this.next(run.sessionKey, lane);
    }
    if (this.closed && this.runs.size === 0) for (const wake of [...this.drainWaiters]) wake();
  }

  /**
   * Graceful stop: refuses new runs at once, lets every run already admitted (running or queued)
   * end on its own for up to `timeoutMs`, then ends the rest as shutdown() does (reason
   * `shutdown`, partial text kept). Resolves with how many ended on their own and how many not.
   */
  async drain(timeoutMs: number): Promise<{ finished: number; aborted: number }> {
    this.closed = true;
    const before = this.runs.size;
    if (before > 0 && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.drainWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, timeoutMs);
        this.drainWaiters.add(wake);
      });
    }
    const aborted = this.runs.size;
    await this.shutdown();
    return { finished: before - aborted, aborted };
  }

  /** Ends every run (gateway shutdown); resolves when each has persisted what it had. */
  async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const all = [...this.runs.values()];
    for (const run of all) run.abort("shutdown");
    await Promise.all(
      all.map((run) =>
        this.end(run, { status: "aborted", reason: "shutdown", message: "gateway shutting down" }),
      ),
    );
  }

  /** Drops expired finished records and ends runs inactive past staleAfterMs. Never touches live work. */
  sweep(now: number = Date.now()): { expired: number; stale: number } {
    const config = this.config();
    let expired = 0;
    for (const [id, rec] of this.finished) {
      if (now - rec.endedAt < config.finishedTtlMs) break; // insertion order = end order
      this.finished.delete(id);
      expired++;
    }
    let stale = 0;
    for (const run of [...this.runs.values()]) {
      const laneActivity = this.lanes.get(run.sessionKey)?.active?.lastActivityAt ?? 0;
      const activity = Math.max(run.lastActivityAt, run.status === "queued" ? laneActivity : 0);
      if (now - activity >= config.staleAfterMs) {
        run.abort("stale");
        void this.end(run, { status: "aborted", reason: "stale", message: "run swept after inactivity" });
        stale++;
      }
    }
    // A burst has drained (nothing active, its records expired): give the memory back now.
    if (
      this.runs.size === 0 &&
      this.finished.size === 0 &&
      this.endedCount - this.endedAtRelease >= RELEASE_AFTER_RUNS
    ) {
      this.endedAtRelease = this.endedCount;
      this.memory.release();
    }
    return { expired, stale };
  }

  private begin(lane: Lane, run: Run): void {
    lane.active = run;
    run.status = "running";
    run.startedAt = Date.now();
    run.touch();
    // Deferred so the caller's ack (`started`/`accepted`) goes out before any run event.
    setImmediate(() => {
      if (run.status !== "running") return;
      this.hooks.execute(run).then(
        (outcome) => this.end(run, outcome),
        (err: unknown) => {
          this.onHookError(err, run);
          const message = err instanceof Error ? err.message : String(err);
          return this.end(run, { status: "error", kind: "internal", message });
        },
      );
    });
  }

  private next(sessionKey: string, lane: Lane): void {
    if (lane.active) return;
    const queued = lane.queue.shift();
    if (queued) this.begin(lane, queued);
    else if (this.lanes.get(sessionKey) === lane) this.lanes.delete(sessionKey);
  }

  private capFinished(): void {
    // The cap evicts only finished entries (oldest first); active runs are never dropped.
    const { maxFinished } = this.config();
    while (this.finished.size > maxFinished) {
      const oldest = this.finished.keys().next().value as string;
      this.finished.delete(oldest);
    }
  }
}

function timingsOf(run: Run, endedAt: number) {
  const queuedMs = (run.startedAt ?? endedAt) - run.acceptedAt;
  const first =
    run.firstAttemptAt !== undefined && run.firstTokenAt !== undefined
      ? { firstTokenMs: run.firstTokenAt - run.firstAttemptAt }
      : {};
  return { queuedMs, ...first, totalMs: endedAt - run.acceptedAt };
}

/** A failed run's error as its finished record keeps it: the kind, the message, when to retry. */
function failureOf(outcome: Extract<RunOutcome, { status: "error" }>): NonNullable<FinishedRun["error"]> {
  const retry = outcome.details?.["retryAfterMs"];
  return {
    kind: outcome.kind,
    message: outcome.message,
    ...(typeof retry === "number" ? { retryAfterMs: retry } : {}),
    ...(outcome.details?.["reason"] === ALL_COOLING ? { cooling: true as const } : {}),
  };
}
