// The WebSocket surface's view of runs: RunEvents projected into OpenClaw `chat` / `agent` /
// `sessions.changed` events (shapes as in the recorded wire frames), broadcast to operators.
import { errorKindForChat } from "../models/types.js";
import type { RunEvent } from "../runs/events.js";

/** One event to broadcast; deltas may be dropped for a slow client (its seq shows the gap). */
export interface Projected {
  event: "chat" | "agent" | "sessions.changed";
  payload: object;
  droppable?: boolean;
}

/** The cumulative assistant message carried by delta/final/aborted events. */
export function assistantMessage(text: string, timestamp: number = Date.now()) {
  return { role: "assistant" as const, content: [{ type: "text" as const, text }], timestamp };
}

function base(ev: RunEvent) {
  return { runId: ev.runId, sessionKey: ev.sessionKey, agentId: ev.agentId };
}

function agent(ev: RunEvent, stream: string, data: Record<string, unknown>, withSession = false): Projected {
  const payload = {
    ...base(ev),
    ...(withSession ? { sessionId: ev.sessionId } : {}),
    stream,
    data,
    seq: ev.seq,
    ts: ev.ts,
  };
  return { event: "agent", payload };
}

function chat(ev: RunEvent, fields: Record<string, unknown>): Projected {
  return { event: "chat", payload: { ...base(ev), seq: ev.seq, ...fields } };
}

function sessionsChanged(ev: RunEvent, reason: "run-started" | "run-ended"): Projected {
  return { event: "sessions.changed", payload: { sessionKey: ev.sessionKey, reason, ts: ev.ts } };
}

/** The OpenClaw events one RunEvent becomes, in the order they go out. */
export function projectRunEvent(ev: RunEvent): Projected[] {
  switch (ev.type) {
    case "accepted":
      return [sessionsChanged(ev, "run-started")];
    case "status":
      return [agent(ev, "run_status", { phase: ev.phase }), chat(ev, { state: "status", phase: ev.phase })];
    case "started":
      return [agent(ev, "lifecycle", { phase: "start", startedAt: ev.startedAt }, true)];
    case "model":
      return [agent(ev, "lifecycle", { phase: "model", provider: ev.provider, model: ev.model }, true)];
    case "delta":
      return [
        { ...agent(ev, "assistant", { text: ev.text, delta: ev.delta }), droppable: true },
        {
          ...chat(ev, { state: "delta", deltaText: ev.delta, message: assistantMessage(ev.text, ev.ts) }),
          droppable: true,
        },
      ];
    case "usage":
      return [agent(ev, "usage", { inputTokens: ev.input, outputTokens: ev.output })];
    case "thinking":
      // Its own stream, never mixed into the reply's `assistant` text or the chat deltas.
      return [{ ...agent(ev, "thinking", { delta: ev.delta }), droppable: true }];
    case "tool_call":
      // Every run event is one agent event, so a client's seq never shows a false gap.
      return [agent(ev, "tool", { phase: "start", name: ev.name, toolCallId: ev.id, args: ev.arguments })];
    case "final": {
      const end = {
        phase: "end",
        startedAt: ev.startedAt,
        endedAt: ev.endedAt,
        aborted: false,
        stopReason: ev.stopReason,
      };
      return [
        agent(ev, "lifecycle", end, true),
        chat(ev, { state: "final", stopReason: ev.stopReason, message: assistantMessage(ev.text, ev.ts) }),
        sessionsChanged(ev, "run-ended"),
      ];
    }
    case "aborted": {
      const end = {
        phase: "end",
        startedAt: ev.startedAt,
        endedAt: ev.endedAt,
        aborted: true,
        stopReason: "aborted",
      };
      return [
        agent(ev, "lifecycle", end, true),
        chat(ev, {
          state: "aborted",
          ...(ev.text ? { message: assistantMessage(ev.text, ev.ts) } : {}),
          errorMessage: ev.message,
        }),
        sessionsChanged(ev, "run-ended"),
      ];
    }
    case "error":
      return [
        agent(
          ev,
          "lifecycle",
          { phase: "error", startedAt: ev.startedAt, endedAt: ev.endedAt, error: ev.message },
          true,
        ),
        chat(ev, {
          state: "error",
          errorMessage: ev.message,
          errorKind: errorKindForChat(ev.kind),
          details: ev.details,
        }),
        sessionsChanged(ev, "run-ended"),
      ];
  }
}

/** Broadcasts every run's events to operators: the WebSocket surface's tap on the run service. */
export function broadcastRuns(events: {
  broadcast(event: string, payload: unknown, opts?: { droppable?: boolean }): unknown;
  /** Connections open now; with none, nothing is projected (a gateway serving only HTTP). */
  count?(): number;
}): (ev: RunEvent) => void {
  return (ev) => {
    if (events.count?.() === 0) return;
    for (const p of projectRunEvent(ev)) {
      events.broadcast(p.event, p.payload, p.droppable ? { droppable: true } : undefined);
    }
  };
}
