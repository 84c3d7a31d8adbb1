// Payloads of the `chat` and `agent` events a run emits (shapes as in the recorded wire frames).
import type { Run } from "./run.js";

/** Where run events go: the gateway broadcasts them to operators with `operator.read`. */
export type EmitFn = (
  event: "chat" | "agent" | "sessions.changed",
  payload: object,
  opts?: { droppable?: boolean },
) => void;

export type ChatPhase = "preparing_context" | "starting_model";

function base(run: Run) {
  return { runId: run.runId, sessionKey: run.sessionKey, agentId: run.agentId };
}

/** The cumulative assistant message carried by delta/final/aborted events. */
export function assistantMessage(text: string) {
  return { role: "assistant" as const, content: [{ type: "text" as const, text }], timestamp: Date.now() };
}

export function chatStatus(run: Run, phase: ChatPhase) {
  return { ...base(run), seq: run.seq, state: "status", phase };
}

export function chatDelta(run: Run, deltaText: string, fullText: string) {
  return { ...base(run), seq: run.seq, state: "delta", deltaText, message: assistantMessage(fullText) };
}

export function chatFinal(run: Run, text: string, stopReason: string) {
  return { ...base(run), seq: run.seq, state: "final", stopReason, message: assistantMessage(text) };
}

export function chatAborted(run: Run, text: string, errorMessage: string) {
  return {
    ...base(run),
    seq: run.seq,
    state: "aborted",
    ...(text ? { message: assistantMessage(text) } : {}),
    errorMessage,
  };
}

export function chatError(
  run: Run,
  errorMessage: string,
  errorKind: string,
  details: Record<string, unknown>,
) {
  return { ...base(run), seq: run.seq, state: "error", errorMessage, errorKind, details };
}

/** An `agent` event; each one advances the run's seq. */
export function agentEvent(run: Run, stream: string, data: Record<string, unknown>, withSession = false) {
  run.seq++;
  return {
    ...base(run),
    ...(withSession ? { sessionId: run.sessionId } : {}),
    stream,
    data,
    seq: run.seq,
    ts: Date.now(),
  };
}
