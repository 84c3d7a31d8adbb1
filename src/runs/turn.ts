// One model turn of a run: the prompt from the session's history, the failover chain, streamed
// text as throttled deltas, and on its end the transcript entry, the terminal event and a log line.
import type { Config } from "../config/schema.js";
import { MiB } from "../config/schema-kit.js";
import type { Logger } from "../lifecycle/logger.js";
import { FailoverProvider } from "../models/failover.js";
import { type ChatMessage, ModelError, type StreamEvent } from "../models/types.js";
import { type ContentPart, UNTRUSTED_META, untrustedBoundary } from "../models/messages.js";
import type { SessionStore, TranscriptMessage } from "../sessions/store.js";
import type { UsageRecord } from "../sessions/usage-store.js";
import type { WrittenMessage } from "./events.js";
import { imageBytes, keepNewestImages } from "./prompt-images.js";
import type { RunModels } from "./ports.js";
import type { FinishedRun, Run, RunOutcome } from "./run.js";

export interface TurnDeps {
  /** Read at use time: a reload's system prompts, throttle and history size apply to the next turn. */
  config: () => Config;
  store: SessionStore;
  models: RunModels;
  logger: Logger;
  /** Run ids active in a session (their queued user messages stay out of this turn's history). */
  activeRunIds: (sessionKey: string) => readonly string[];
}

/** Runs the turn; resolves with how it ended. Provider failures are outcomes, never throws. */
export async function executeTurn(run: Run, deps: TurnDeps): Promise<RunOutcome> {
  const config = deps.config();
  const userMessage = await run.userWrite;
  const userSeq = userMessage?.seq;
  run.publish({ type: "status", phase: "preparing_context" });
  let chain: FailoverProvider;
  try {
    const candidates = deps.models.candidates(run.agentId, run.model);
    chain = new FailoverProvider(candidates, {
      deadlineMs: config.models.failoverDeadlineMs,
      contextFallbacks: deps.models.contextCandidates(run.agentId, run.model),
      // Keyed by session id: a reset session starts unpinned. A stateless run has no session
      // to come back to, so it pins nothing (API traffic would fill auth.maxPins otherwise).
      ...(deps.models.pins && !run.stateless ? { pins: deps.models.pins.forSession(run.sessionId) } : {}),
      ...(deps.models.cooldowns ? { cooldowns: deps.models.cooldowns } : {}),
      onFailover: (failed, next) =>
        deps.logger.warn(
          {
            runId: run.runId,
            kind: failed.kind,
            status: failed.status,
            from: failed.ref,
            credential: failed.credential,
            to: next.ref,
            ms: failed.ms,
          },
          `failing over: ${failed.message}`,
        ),
    });
  } catch (err) {
    return { status: "error", kind: "config", message: err instanceof Error ? err.message : String(err) };
  }
  const history = run.history ? [...run.history] : await readHistory(run, userSeq, config, deps);
  if (run.signal.aborted) return abortedOutcome(run);
  run.publish({ type: "status", phase: "starting_model" });
  run.publish({
    type: "started",
    startedAt: run.startedAt ?? Date.now(),
    ...(userMessage ? { userMessage } : {}),
  });
  const agent = agentSettings(config, run.agentId);
  const systemPrompt = [agent.systemPrompt, run.extraSystemPrompt].filter(Boolean).join("\n\n");
  const messages: ChatMessage[] = [
    ...(systemPrompt ? [{ role: "system" as const, content: systemPrompt }] : []),
    ...history,
    { role: "user", content: run.parts ?? guarded(run.message, run.untrusted) },
  ];
  try {
    const request = { ...run.options, model: run.model ?? "", messages, signal: run.signal };
    for await (const ev of chain.stream(request)) {
      if (ev.type === "done") return { status: "ok", stopReason: ev.stopReason };
      onStreamEvent(run, ev, config.runs.deltaThrottleMs);
    }
    return { status: "ok", stopReason: "stop" };
  } catch (err) {
    if (run.signal.aborted) return abortedOutcome(run);
    if (!(err instanceof ModelError)) throw err;
    return { status: "error", kind: err.kind, message: err.message, details: err.toDetails() };
  }
}

/** What one stream event does to the run: state, and the RunEvent surfaces see. */
function onStreamEvent(run: Run, ev: Exclude<StreamEvent, { type: "done" }>, throttleMs: number): void {
  switch (ev.type) {
    case "attempt":
      run.firstAttemptAt ??= Date.now();
      run.provider = ev.provider;
      run.modelId = ev.model;
      run.publish({ ...ev, type: "model" });
      return;
    case "text":
      run.firstTokenAt ??= Date.now();
      run.appendText(ev.delta);
      scheduleDelta(run, throttleMs);
      return;
    case "thinking":
      if (run.status === "ended") return;
      // Text still held by the throttle came first: it goes out before this reasoning does.
      if (run.sentLength < run.text.length) flushDelta(run);
      run.thinking += ev.delta;
      // Sealed only while the seal covers all of the reasoning: one block. Text after a seal, or
      // a seal over less than all of it (a second block), leaves the joined text unsealed.
      if (ev.delta && run.thinkingSignature !== undefined) run.thinkingSignature = "";
      if (ev.signature) run.thinkingSignature = ev.signed === run.thinking ? ev.signature : "";
      run.touch();
      scheduleDelta(run, throttleMs);
      return;
    case "tool_call":
      if (run.status === "ended") return;
      run.toolCalls.push({ id: ev.id, name: ev.name, arguments: ev.arguments });
      run.touch();
      // What streamed before the call goes out before it.
      flushDelta(run);
      run.publish({ type: "tool_call", id: ev.id, name: ev.name, arguments: ev.arguments });
      return;
    case "tool_call_delta":
      // Assembled by the adapter into `tool_call`; the pieces only keep the run alive.
      run.touch();
      return;
    case "usage": {
      const cache = {
        ...(ev.cacheReadTokens === undefined ? {} : { cacheRead: ev.cacheReadTokens }),
        ...(ev.cacheWriteTokens === undefined ? {} : { cacheWrite: ev.cacheWriteTokens }),
      };
      run.usage = { input: ev.inputTokens, output: ev.outputTokens, ...cache };
      run.publish({ type: "usage", input: ev.inputTokens, output: ev.outputTokens, ...cache });
      return;
    }
  }
}

/**
 * The prompt's history: the newest messages of the session, without this run's own user message
 * and without user messages of runs still queued behind it (they were written at admission, so
 * they can sit before this run's reply in the transcript). For the same reason a reply is placed
 * right after the user message of its own run: the model reads each question with its answer.
 */
async function readHistory(
  run: Run,
  userSeq: number | undefined,
  config: Config,
  deps: TurnDeps,
): Promise<ChatMessage[]> {
  // The config the turn started with, not the live one: a reload mid-turn changes nothing here.
  const page = await deps.store.readHistory(run.sessionId, { limit: config.runs.historyMessages + 1 });
  const queued = new Set(deps.activeRunIds(run.sessionKey));
  const kept = page.messages.filter(
    (m) => m.seq !== userSeq && !(m.role === "user" && m.runId !== undefined && queued.has(m.runId)),
  );
  const asked = new Set(kept.flatMap((m) => (m.role === "user" && m.runId ? [m.runId] : [])));
  const replies = new Map(
    kept.flatMap((m) => (m.role === "assistant" && m.runId && asked.has(m.runId) ? [[m.runId, m]] : [])),
  );
  const out: ChatMessage[] = [];
  for (const m of kept) {
    if (m.role === "assistant" && m.runId && replies.has(m.runId)) continue;
    out.push(promptMessage(m));
    const reply = m.role === "user" && m.runId ? replies.get(m.runId) : undefined;
    if (reply) out.push(promptMessage(reply));
  }
  const budget = config.agents.defaults.mediaMaxMb * MiB;
  return keepNewestImages(out, budget - imageBytes(run.parts ?? []));
}

/** A stored message as the model reads it: its rich parts when it has them; tool results as `tool`. */
function promptMessage(m: TranscriptMessage): ChatMessage {
  const source = m.meta?.[UNTRUSTED_META];
  if (typeof source === "string") return { role: m.role, content: guarded(m.content, source) };
  if (!m.parts || m.parts.length === 0) return { role: m.role, content: m.content };
  const parts = m.parts as unknown as readonly ContentPart[];
  const toolResults = parts.every((p) => p.type === "tool_result");
  return { role: toolResults ? "tool" : m.role, content: parts };
}

/** Text as the model may read it: untrusted external input inside its boundary, the rest as is. */
function guarded(text: string, untrusted: string | undefined): string {
  return untrusted === undefined ? text : untrustedBoundary(text, untrusted);
}

/** What an assistant reply is stored as: thinking, text, then each tool call (none when plain text). */
function replyParts(run: Run, text: string): ContentPart[] | undefined {
  if (!run.thinking && run.toolCalls.length === 0) return undefined;
  return [
    ...(run.thinking
      ? [
          {
            type: "thinking" as const,
            text: run.thinking,
            ...(run.thinkingSignature && run.modelId
              ? { signature: run.thinkingSignature, model: run.modelId }
              : {}),
          },
        ]
      : []),
    ...(text ? [{ type: "text" as const, text }] : []),
    ...run.toolCalls.map((c) => ({ type: "tool_call" as const, ...c })),
  ];
}

/** Throttles deltas: at most one per `throttleMs`, the rest merged into the next. */
function scheduleDelta(run: Run, throttleMs: number): void {
  const wait = run.lastDeltaAt + throttleMs - Date.now();
  if (wait <= 0) {
    clearTimeout(run.deltaTimer);
    run.deltaTimer = undefined;
    flushDelta(run);
  } else if (!run.deltaTimer) {
    run.deltaTimer = setTimeout(() => {
      run.deltaTimer = undefined;
      flushDelta(run);
    }, wait);
  }
}

/**
 * Publishes the reasoning and the text not yet carried by an event, if any: reasoning first, as
 * models write it first. Both share one throttle, so a model streaming its thinking in tiny
 * pieces costs operators no more events than its reply does.
 */
function flushDelta(run: Run): void {
  const thought = run.thinking.slice(run.thinkingSent);
  const delta = run.text.slice(run.sentLength);
  if (!thought && !delta) return;
  run.lastDeltaAt = Date.now();
  if (thought) {
    run.thinkingSent = run.thinking.length;
    run.publish({ type: "thinking", delta: thought });
  }
  if (delta) {
    run.sentLength = run.text.length;
    run.publish({ type: "delta", delta, text: run.text });
  }
}

/**
 * The terminal hook (once per run): the last delta, the transcript entry, usage, the terminal
 * event, then one log line — info for a finished run, warn for a failed one with its kind,
 * provider, model, status and every failover attempt, so `keel logs` explains a failed turn.
 */
export async function finishTurn(
  finished: FinishedRun,
  outcome: RunOutcome,
  run: Run,
  deps: Pick<TurnDeps, "store" | "logger">,
): Promise<void> {
  if (run.startedAt !== undefined) flushDelta(run);
  const text = finished.text;
  let replyMessage: WrittenMessage | undefined;
  try {
    replyMessage = await persistEnd(run, text, outcome, deps.store, finished.endedAt);
  } catch (err) {
    // The terminal event still goes out below: clients waiting on this run must hear that it
    // ended even when the store could not take its reply (disk full, database locked).
    deps.logger.error(
      { err, runId: run.runId, sessionKey: run.sessionKey },
      "could not save the run's reply",
    );
  }
  const times = {
    text,
    startedAt: run.startedAt,
    endedAt: finished.endedAt,
    ...(replyMessage ? { replyMessage } : {}),
  };
  if (outcome.status === "ok") {
    run.publish({ type: "final", stopReason: outcome.stopReason, ...times });
  } else if (outcome.status === "aborted") {
    run.publish({ type: "aborted", reason: outcome.reason, message: outcome.message, ...times });
  } else {
    const details = { kind: outcome.kind, ...outcome.details };
    run.publish({ type: "error", kind: outcome.kind, message: outcome.message, details, ...times });
  }
  logEnd(deps.logger, finished, outcome, run);
}

/** The run's durable usage record (usage.cost reads them), once it reported usage and a model. */
function usageRecord(run: Run, endedAt: number): UsageRecord | undefined {
  if (!run.usage || run.provider === undefined || run.modelId === undefined) return undefined;
  return {
    runId: run.runId,
    sessionKey: run.sessionKey,
    sessionId: run.sessionId,
    agentId: run.agentId,
    provider: run.provider,
    model: run.modelId,
    endedAt,
    input: run.usage.input,
    output: run.usage.output,
    cacheRead: run.usage.cacheRead ?? 0,
    cacheWrite: run.usage.cacheWrite ?? 0,
  };
}

/**
 * The reply, the usage (the session's counter and the run's record), then the mark closed: one
 * commit where the store can, else in that order.
 * Returns the store's own promise (not an async wrapper), so the run's lane is released as soon
 * after the commit as before.
 */
function persistEnd(
  run: Run,
  text: string,
  outcome: RunOutcome,
  store: SessionStore,
  endedAt: number,
): Promise<WrittenMessage | undefined> {
  const record = store.usage ? usageRecord(run, endedAt) : undefined;
  // A stateless run leaves only its usage, summed with other one-off runs' and written off the
  // reply's path: no transcript, and no mark was opened.
  if (run.stateless) {
    if (record) store.usage?.recordOneOff(record);
    return Promise.resolve(undefined);
  }
  const message =
    text || run.thinking || run.toolCalls.length > 0 ? assistantEntry(run, text, outcome) : undefined;
  const usage = run.usage && { key: run.sessionKey, ...run.usage, total: run.usage.input + run.usage.output };
  if (store.endRun) {
    return store.endRun({
      runId: run.runId,
      status: outcome.status,
      ...(message ? { message } : {}),
      ...(usage ? { usage } : {}),
      ...(record ? { record } : {}),
    });
  }
  return (async () => {
    const reply = message ? await store.appendMessage(message) : undefined;
    if (usage) await store.addUsage(usage.key, usage);
    if (record) store.usage?.record(record);
    // Last: a crash before this line leaves the mark, and the next start ends the run as interrupted.
    await store.runMarkers.close(run.runId, outcome.status);
    return reply;
  })();
}

function assistantEntry(run: Run, text: string, outcome: RunOutcome) {
  const parts = replyParts(run, text);
  return {
    sessionKey: run.sessionKey,
    sessionId: run.sessionId,
    role: "assistant" as const,
    content: text,
    ...(parts ? { parts } : {}),
    runId: run.runId,
    meta: {
      status: outcome.status,
      ...(outcome.status === "ok" ? { stopReason: outcome.stopReason } : {}),
      ...(outcome.status === "aborted" ? { aborted: true, abortReason: outcome.reason } : {}),
      ...(outcome.status === "error" ? { errorKind: outcome.kind } : {}),
      ...(run.provider ? { provider: run.provider, model: run.modelId } : {}),
      ...(run.usage ? { usage: run.usage } : {}),
    },
  };
}

function logEnd(logger: Logger, finished: FinishedRun, outcome: RunOutcome, run: Run): void {
  // A one-off API request that finished is a debug line: at thousands a second an info line
  // each would rotate everything else out of keel.log within a minute. Failures still warn.
  const quiet = run.stateless && outcome.status === "ok";
  if (quiet && !logger.isLevelEnabled("debug")) return;
  const fields = {
    runId: run.runId,
    sessionKey: run.sessionKey,
    agentId: run.agentId,
    status: outcome.status,
    provider: run.provider,
    model: run.modelId,
    durationMs: finished.endedAt - (run.startedAt ?? run.acceptedAt),
    timings: finished.timings,
    ...(run.usage ? { usage: run.usage } : {}),
  };
  if (outcome.status === "error") {
    const d = outcome.details ?? {};
    logger.warn(
      { ...fields, kind: outcome.kind, httpStatus: d["status"], attempts: d["attempts"] },
      `run failed (${outcome.kind}): ${outcome.message}`,
    );
  } else if (outcome.status === "aborted") {
    logger.info({ ...fields, reason: outcome.reason }, `run aborted (${outcome.reason})`);
  } else if (quiet) {
    logger.debug({ ...fields, stopReason: outcome.stopReason }, "run finished");
  } else {
    logger.info({ ...fields, stopReason: outcome.stopReason }, "run finished");
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
 * The settings of an agent a run needs (its entry over the defaults). Its model chain is the
 * model registry's business (ModelRegistry.agentModel).
 */
export function agentSettings(config: Config, agentId: string) {
  const entry = config.agents.entries[agentId];
  return {
    systemPrompt: entry?.systemPrompt ?? config.agents.defaults.systemPrompt,
    timeoutSeconds: entry?.timeoutSeconds ?? config.agents.defaults.timeoutSeconds,
  };
}
