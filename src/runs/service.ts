// RunService: what surfaces use to start, follow, wait for and abort runs. Nothing outside runs/
// reaches the registry; a surface follows runs through subscribe() or the onEvent tap.
import type { ConfigSource } from "../config/source.js";
import type { Logger } from "../lifecycle/logger.js";
import { HeapGauge, releaseMemory } from "../lifecycle/memory.js";
import { UNTRUSTED_META } from "../models/messages.js";
import { invalidRequest } from "../protocol/errors.js";
import { assertAgent } from "../sessions/keys.js";
import type { SessionStore } from "../sessions/store.js";
import type { RunListener } from "./events.js";
import type { RunModels } from "./ports.js";
import { markStart, startMarker } from "./recovery.js";
import { type Admission, type QueueMode, RunRegistry } from "./registry.js";
import type { AbortReason, FinishedRun, Run, RunInit, RunMethod } from "./run.js";
import { agentSettings, executeTurn, finishTurn, type TurnDeps } from "./turn.js";

export interface RunServiceDeps {
  config: ConfigSource;
  store: SessionStore;
  models: RunModels;
  logger: Logger;
}

export interface StartRequest extends Omit<RunInit, "timeoutMs"> {
  queueMode?: QueueMode;
  /** Overrides the agent's timeoutSeconds (ms). */
  timeoutMs?: number;
}

/** A run as surfaces see it: identity, state, and the ways to follow it. */
export type RunHandle = Pick<
  Run,
  | "runId"
  | "method"
  | "sessionKey"
  | "agentId"
  | "sessionId"
  | "acceptedAt"
  | "startedAt"
  | "status"
  | "waitEnd"
  | "subscribe"
  | "subscriberBacklog"
>;

/** What `wait` found: the finished record, or a timeout while the run still runs. */
export type WaitResult = { finished: FinishedRun } | { timeout: true; startedAt: number | undefined };

/** Surface taps kept at most (one per surface; more is a wiring leak). */
const MAX_TAPS = 16;

export class RunService {
  readonly #registry: RunRegistry;
  readonly #deps: RunServiceDeps;
  readonly #taps = new Set<RunListener>();

  constructor(deps: RunServiceDeps) {
    this.#deps = deps;
    const turn: TurnDeps = {
      config: () => deps.config.current(),
      store: deps.store,
      models: deps.models,
      logger: deps.logger,
      activeRunIds: (key) => this.#registry.activeRunIds(key),
    };
    const heap = new HeapGauge();
    this.#registry = new RunRegistry(
      () => deps.config.current().runs,
      {
        execute: (run) => {
          run.timeoutTimer = setTimeout(() => this.#registry.abort(run, "timeout"), run.timeoutMs);
          return executeTurn(run, turn);
        },
        onEnd: (finished, outcome, run) => finishTurn(finished, outcome, run, turn),
      },
      {
        sink: (event) => {
          for (const tap of this.#taps) tap(event);
        },
        onHookError: (err, run) => deps.logger.error({ err, runId: run.runId }, "run hook failed"),
        memory: { underPressure: () => heap.underPressure(), release: releaseMemory },
      },
    );
  }

  /**
   * Admits a run. A duplicate idempotency key returns the existing run (or its finished record)
   * and writes nothing; a new run's user message is written before its turn reads history.
   */
  async start(req: StartRequest): Promise<Admission> {
    const config = this.#deps.config.current();
    if (req.message.length > config.runs.maxMessageChars) {
      throw invalidRequest(
        `message is too long (${req.message.length} > ${config.runs.maxMessageChars} characters)`,
      );
    }
    assertAgent(config, req.agentId);
    const agent = agentSettings(config, req.agentId);
    const admission = this.#registry.admit(
      { ...req, timeoutMs: req.timeoutMs ?? agent.timeoutSeconds * 1000 },
      req.queueMode,
    );
    if (admission.kind === "new" && !admission.run.stateless) {
      const run = admission.run;
      const store = this.#deps.store;
      const message = {
        sessionKey: run.sessionKey,
        sessionId: run.sessionId,
        role: "user" as const,
        content: run.message,
        ...(run.parts ? { parts: run.parts } : {}),
        runId: run.runId,
        idempotencyKey: run.runId,
        ...(run.untrusted ? { meta: { [UNTRUSTED_META]: run.untrusted } } : {}),
      };
      // One commit where the store can: the mark and the message (the mark first either way).
      run.userWrite = store.beginRun
        ? store.beginRun(startMarker(run), message)
        : markStart(store, run).then(() => store.appendMessage(message));
      // Awaited by the turn; a queued run aborted first must not leave an unhandled rejection.
      run.userWrite.catch(() => {});
    }
    return admission;
  }

  /** The run or finished record an idempotency key already names (a conflict throws). */
  duplicate(runId: string, method: RunMethod): Admission | undefined {
    return this.#registry.duplicate(runId, method);
  }

  /** Aborts one run, or every run of a session (`reason`: user by default). Returns the ids aborted. */
  abort(sessionKey: string, runId?: string, reason: AbortReason = "user"): string[] {
    const ids = runId ? [runId] : this.#registry.activeRunIds(sessionKey);
    const aborted: string[] = [];
    for (const id of ids) {
      const run = this.#registry.runs.get(id);
      if (run && run.sessionKey === sessionKey) {
        this.#registry.abort(run, reason);
        aborted.push(id);
      }
    }
    return aborted;
  }

  /** A live run or the finished record of one that ended within the TTL. */
  get(runId: string): { active?: RunHandle; finished?: FinishedRun } {
    return this.#registry.lookup(runId);
  }

  /**
   * Waits for a run's end, up to `timeoutMs` or until `signal` aborts (which also reports a
   * timeout). Undefined for an unknown or expired runId. Never stops the run.
   */
  async wait(
    runId: string,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<WaitResult | undefined> {
    const known = this.#registry.lookup(runId);
    if (known.finished) return { finished: known.finished };
    const run = known.active;
    if (!run) return undefined;
    const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
    const finished = await run.waitEnd(AbortSignal.any(signals));
    return finished ? { finished } : { timeout: true, startedAt: run.startedAt };
  }

  /** Follows one run from its current point (see Run.subscribe). Undefined when it is not live. */
  subscribe(runId: string, listener: RunListener): (() => void) | undefined {
    return this.#registry.runs.get(runId)?.subscribe(listener);
  }

  /**
   * A surface's tap: every event of every run, in order per run. Listeners run synchronously
   * inside the run's publish and must not throw.
   */
  onEvent(listener: RunListener): () => void {
    if (this.#taps.size >= MAX_TAPS) throw new Error(`run service: more than ${MAX_TAPS} taps`);
    this.#taps.add(listener);
    return () => this.#taps.delete(listener);
  }

  /** Run ids active (running or queued) in a session. */
  activeRunIds(sessionKey: string): string[] {
    return this.#registry.activeRunIds(sessionKey);
  }

  /** True while a session has a run, including one still saving its reply (pruning skips it). */
  hasActiveRun(sessionKey: string): boolean {
    return this.#registry.hasActiveRun(sessionKey);
  }

  /** The running run's partial output, for chat.history's `inFlightRun` (re-attach). */
  inFlight(sessionKey: string): { runId: string; text: string; startedAt?: number; seq: number } | undefined {
    const run = this.#registry.runningRun(sessionKey);
    if (!run || run.status !== "running") return undefined;
    return {
      runId: run.runId,
      text: run.text,
      ...(run.startedAt === undefined ? {} : { startedAt: run.startedAt }),
      seq: run.seq,
    };
  }

  /** Counts for `status`. */
  stats(): { active: number; finished: number; ended: number } {
    const r = this.#registry;
    return { active: r.runs.size, finished: r.finished.size, ended: r.endedCount };
  }

  /** Sweeps now (the timer does this on its own; tests and benchmarks call it). */
  sweep(now?: number): { expired: number; stale: number } {
    return this.#registry.sweep(now);
  }

  /** Refuses new runs, lets admitted ones finish for up to `timeoutMs`, then ends the rest (shutdown). */
  drain(timeoutMs: number): Promise<{ finished: number; aborted: number }> {
    return this.#registry.drain(timeoutMs);
  }

  /** Ends every run (persisting partial text); resolves when each has. */
  shutdown(): Promise<void> {
    return this.#registry.shutdown();
  }
}
