// The run engine: admits runs, executes a model turn per run, streams events, persists the result.
import type { Config } from "../config/schema.js";
import type { Logger } from "../lifecycle/logger.js";
import { heapUnderPressure, releaseMemory } from "../lifecycle/memory.js";
import { fitContext } from "../models/context.js";
import type { ChatMessage } from "../models/types.js";
import { errorKindForChat, KIND_POLICY, ModelError } from "../models/types.js";
import { invalidRequest } from "../protocol/errors.js";
import { assertAgent } from "../sessions/keys.js";
import type { SessionStore } from "../sessions/store.js";
import {
  agentEvent,
  type ChatPhase,
  chatAborted,
  chatDelta,
  chatError,
  chatFinal,
  chatStatus,
  type EmitFn,
} from "./events.js";
import type { Candidate, RunModels } from "./ports.js";
import { type Admission, type QueueMode, RunRegistry } from "./registry.js";
import type { FinishedRun, Run, RunInit, RunOutcome } from "./run.js";

export interface EngineDeps {
  config: Config;
  store: SessionStore;
  models: RunModels;
  emit: EmitFn;
  logger: Logger;
}

export interface StartRequest extends Omit<RunInit, "timeoutMs"> {
  queueMode?: QueueMode;
  /** Overrides the agent's timeoutSeconds (ms). */
  timeoutMs?: number;
}

export class RunEngine {
  readonly registry: RunRegistry;
  private readonly deps: EngineDeps;

  constructor(deps: EngineDeps) {
    this.deps = deps;
    this.registry = new RunRegistry(
      deps.config.runs,
      {
        execute: (run) => this.execute(run),
        onEnd: (finished, outcome, run) => this.finish(finished, outcome, run),
      },
      (err, run) => deps.logger.error({ err, runId: run.runId }, "run hook failed"),
      { underPressure: () => heapUnderPressure(), release: releaseMemory },
    );
  }

  /**
   * Admits a run (the registry dedupes: a duplicate idempotency key returns the existing run and
   * writes nothing). The user message is written before the turn reads history.
   */
  async start(req: StartRequest): Promise<Admission> {
    const { config, store } = this.deps;
    if (req.message.length > config.runs.maxMessageChars) {
      throw invalidRequest(
        `message is too long (${req.message.length} > ${config.runs.maxMessageChars} characters)`,
      );
    }
    const agent = agentSettings(config, req.agentId);
    const admission = this.registry.admit(
      { ...req, timeoutMs: req.timeoutMs ?? agent.timeoutSeconds * 1000 },
      req.queueMode,
    );
    if (admission.kind === "new") {
      const run = admission.run;
      run.userWrite = store.appendMessage({
        sessionKey: run.sessionKey,
        sessionId: run.sessionId,
        role: "user",
        content: run.message,
        runId: run.runId,
        idempotencyKey: run.runId,
      });
      // Handled in execute(); a queued run aborted first must not leave an unhandled rejection.
      run.userWrite.catch(() => {});
      this.deps.emit("sessions.changed", {
        sessionKey: run.sessionKey,
        reason: "run-started",
        ts: Date.now(),
      });
    }
    return admission;
  }

  /** Aborts one run, or every run of a session. Returns the ids aborted. */
  abort(sessionKey: string, runId?: string): string[] {
    const ids = runId ? [runId] : this.registry.activeRunIds(sessionKey);
    const aborted: string[] = [];
    for (const id of ids) {
      const run = this.registry.runs.get(id);
      if (run && run.sessionKey === sessionKey) {
        this.registry.abort(run, "user");
        aborted.push(id);
      }
    }
    return aborted;
  }

  shutdown(): Promise<void> {
    return this.registry.shutdown();
  }

  private async execute(run: Run): Promise<RunOutcome> {
    const { config, models, emit } = this.deps;
    run.timeoutTimer = setTimeout(() => this.registry.abort(run, "timeout"), run.timeoutMs);
    const userSeq = (await run.userWrite)?.seq;
    this.status(run, "preparing_context");
    let candidates: Candidate[];
    try {
      candidates = models.candidates(run.agentId, run.model);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return { status: "error", kind: "config", message };
    }
    const history = await this.history(run, userSeq);
    if (run.signal.aborted) return abortedOutcome(run);
    this.status(run, "starting_model");
    emit("agent", agentEvent(run, "lifecycle", { phase: "start", startedAt: run.startedAt }, true));
    const agent = agentSettings(config, run.agentId);
    const systemPrompt = [agent.systemPrompt, run.extraSystemPrompt].filter(Boolean).join("\n\n");
    const deadline = Date.now() + config.models.failoverDeadlineMs;
    for (const [i, c] of candidates.entries()) {
      const outcome = await this.attempt(run, c, systemPrompt, history, deadline);
      if (!(outcome instanceof ModelError)) return outcome;
      const last = i === candidates.length - 1;
      // Once text reached clients a turn never fails over: it ends with the partial text kept.
      const canMove = run.text.length === 0 && KIND_POLICY[outcome.kind].failover === "next_candidate";
      if (last || !canMove || Date.now() >= deadline) {
        return {
          status: "error",
          kind: outcome.kind,
          message: outcome.message,
          details: outcome.toDetails(),
        };
      }
      this.deps.logger.warn(
        { runId: run.runId, kind: outcome.kind, from: c.ref },
        `failing over: ${outcome.message}`,
      );
    }
    return { status: "error", kind: "config", message: "no model candidates" };
  }

  /** One candidate: a ModelError means "may try the next one"; anything else ends the turn. */
  private async attempt(
    run: Run,
    c: Candidate,
    systemPrompt: string,
    history: ChatMessage[],
    deadline: number,
  ): Promise<RunOutcome | ModelError> {
    run.provider = c.providerId;
    run.modelId = c.modelId;
    this.deps.emit(
      "agent",
      agentEvent(run, "lifecycle", { phase: "model", provider: c.providerId, model: c.modelId }, true),
    );
    // The failover deadline bounds the time before the first token across all candidates.
    const beforeFirstToken = new AbortController();
    const deadlineTimer = setTimeout(() => beforeFirstToken.abort(), Math.max(0, deadline - Date.now()));
    try {
      const fit = fitContext({
        systemPrompt,
        history,
        message: { role: "user", content: run.message },
        contextWindow: c.contextWindow,
        ...(c.maxTokens === undefined ? {} : { maxTokens: c.maxTokens }),
        provider: c.providerId,
        model: c.modelId,
      });
      const signal = AbortSignal.any([run.signal, beforeFirstToken.signal]);
      const stream = c.provider.stream({
        model: c.modelId,
        messages: fit.messages,
        ...(c.maxTokens === undefined ? {} : { maxTokens: c.maxTokens }),
        signal,
      });
      for await (const ev of stream) {
        if (ev.type === "text") {
          clearTimeout(deadlineTimer);
          run.appendText(ev.delta);
          this.scheduleDelta(run);
        } else if (ev.type === "usage") {
          run.usage = { input: ev.inputTokens, output: ev.outputTokens };
          this.deps.emit(
            "agent",
            agentEvent(run, "usage", { inputTokens: ev.inputTokens, outputTokens: ev.outputTokens }),
          );
        } else {
          return { status: "ok", stopReason: ev.stopReason };
        }
      }
      return { status: "ok", stopReason: "stop" };
    } catch (err) {
      if (run.signal.aborted) return abortedOutcome(run);
      if (beforeFirstToken.signal.aborted) {
        return new ModelError("timeout", `no reply within the failover deadline from ${c.ref}`, {
          provider: c.providerId,
          model: c.modelId,
        });
      }
      if (err instanceof ModelError) return err;
      throw err;
    } finally {
      clearTimeout(deadlineTimer);
    }
  }

  /**
   * The prompt's history: the newest messages of the session, without this run's own user message
   * and without user messages of runs still queued behind it (they were written at admission, so
   * they can sit before this run's reply in the transcript).
   */
  private async history(run: Run, userSeq: number | undefined): Promise<ChatMessage[]> {
    const page = await this.deps.store.readHistory(run.sessionId, {
      limit: this.deps.config.runs.historyMessages + 1,
    });
    const queued = new Set(this.registry.activeRunIds(run.sessionKey));
    return page.messages
      .filter(
        (m) => m.seq !== userSeq && !(m.role === "user" && m.runId !== undefined && queued.has(m.runId)),
      )
      .map((m) => ({ role: m.role, content: m.content }));
  }

  private status(run: Run, phase: ChatPhase): void {
    this.deps.emit("agent", agentEvent(run, "run_status", { phase }));
    this.deps.emit("chat", chatStatus(run, phase));
  }

  /** Throttles chat deltas: at most one per deltaThrottleMs, the rest merged into the next. */
  private scheduleDelta(run: Run): void {
    const wait = run.lastDeltaAt + this.deps.config.runs.deltaThrottleMs - Date.now();
    if (wait <= 0) {
      clearTimeout(run.deltaTimer);
      run.deltaTimer = undefined;
      this.emitDelta(run);
    } else if (!run.deltaTimer) {
      run.deltaTimer = setTimeout(() => {
        run.deltaTimer = undefined;
        this.emitDelta(run);
      }, wait);
    }
  }

  private emitDelta(run: Run): void {
    const delta = run.text.slice(run.sentLength);
    if (!delta) return;
    run.sentLength = run.text.length;
    run.lastDeltaAt = Date.now();
    this.deps.emit("agent", agentEvent(run, "assistant", { text: run.text, delta }), { droppable: true });
    this.deps.emit("chat", chatDelta(run, delta, run.text), { droppable: true });
  }

  /** Terminal hook (once per run): last delta, transcript, usage, then the terminal events. */
  private async finish(finished: FinishedRun, outcome: RunOutcome, run: Run): Promise<void> {
    const { store, emit } = this.deps;
    if (run.startedAt !== undefined) this.emitDelta(run);
    const text = finished.text;
    if (text) {
      await store.appendMessage({
        sessionKey: run.sessionKey,
        sessionId: run.sessionId,
        role: "assistant",
        content: text,
        runId: run.runId,
        meta: {
          status: outcome.status,
          ...(outcome.status === "ok" ? { stopReason: outcome.stopReason } : {}),
          ...(outcome.status === "aborted" ? { aborted: true, abortReason: outcome.reason } : {}),
          ...(outcome.status === "error" ? { errorKind: outcome.kind } : {}),
          ...(run.provider ? { provider: run.provider, model: run.modelId } : {}),
          ...(run.usage ? { usage: run.usage } : {}),
        },
      });
    }
    if (run.usage) {
      await store.addUsage(run.sessionKey, { ...run.usage, total: run.usage.input + run.usage.output });
    }
    const endedAt = finished.endedAt;
    if (outcome.status === "ok") {
      emit(
        "agent",
        agentEvent(
          run,
          "lifecycle",
          { phase: "end", startedAt: run.startedAt, endedAt, aborted: false, stopReason: outcome.stopReason },
          true,
        ),
      );
      emit("chat", chatFinal(run, text, outcome.stopReason));
    } else if (outcome.status === "aborted") {
      emit(
        "agent",
        agentEvent(
          run,
          "lifecycle",
          { phase: "end", startedAt: run.startedAt, endedAt, aborted: true, stopReason: "aborted" },
          true,
        ),
      );
      emit("chat", chatAborted(run, text, outcome.message));
    } else {
      emit(
        "agent",
        agentEvent(
          run,
          "lifecycle",
          { phase: "error", startedAt: run.startedAt, endedAt, error: outcome.message },
          true,
        ),
      );
      const kind = outcome.kind as Parameters<typeof errorKindForChat>[0];
      emit(
        "chat",
        chatError(run, outcome.message, errorKindForChat(kind), { kind: outcome.kind, ...outcome.details }),
      );
    }
    emit("sessions.changed", { sessionKey: run.sessionKey, reason: "run-ended", ts: Date.now() });
  }
}

/** How a run that was aborted ends: a timeout is an error of kind timeout; the rest are aborts. */
function abortedOutcome(run: Run): RunOutcome {
  if (run.abortReason === "timeout") {
    return {
      status: "error",
      kind: "timeout",
      message: `run timed out after ${Math.round(run.timeoutMs / 1000)} s`,
    };
  }
  const reason = run.abortReason ?? "user";
  return { status: "aborted", reason, message: `aborted (${reason})` };
}

/**
 * The settings of an agent a run needs (its entry over the defaults); unknown agents are an
 * error. Its model chain is the model registry's business (ModelRegistry.agentModel).
 */
export function agentSettings(config: Config, agentId: string) {
  assertAgent(config, agentId);
  const entry = config.agents.entries[agentId];
  return {
    systemPrompt: entry?.systemPrompt ?? config.agents.defaults.systemPrompt,
    timeoutSeconds: entry?.timeoutSeconds ?? config.agents.defaults.timeoutSeconds,
  };
}
