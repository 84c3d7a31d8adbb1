// The WebSocket surface's view of runs: RunEvents projected into OpenClaw `chat` / `agent` /
// `sessions.changed` / `session.message` events (shapes as in the recorded wire frames).
import { errorKindForChat } from "../models/types.js";
import type { RunEvent, WrittenMessage } from "../runs/events.js";
import { toWireMessage } from "../sessions/wire.js";
import type { BroadcastOptions, SessionAudience } from "./context.js";

/** One event to broadcast; deltas may be dropped for a slow client (its seq shows the gap). */
export interface Projected {
  event: "chat" | "agent" | "sessions.changed" | "session.message";
  payload: object;
  droppable?: boolean;
  /** Who receives it (SessionAudience); run events by default. */
  audience?: "changes" | "messages";
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
  return {
    event: "sessions.changed",
    payload: { sessionKey: ev.sessionKey, agentId: ev.agentId, reason, ts: ev.ts },
    audience: "changes",
  };
}

/** A transcript row as the `session.message` event carries it (for message subscribers). */
export function sessionMessage(sessionKey: string, agentId: string, row: WrittenMessage): Projected {
  return {
    event: "session.message",
    payload: { sessionKey, agentId, message: toWireMessage(row), messageId: row.id, messageSeq: row.seq },
    audience: "messages",
  };
}

function withReply(ev: RunEvent & { replyMessage?: WrittenMessage }, out: Projected[]): Projected[] {
  // The reply row goes out before the terminal chat event, as the reference orders them.
  if (ev.replyMessage) out.splice(1, 0, sessionMessage(ev.sessionKey, ev.agentId, ev.replyMessage));
  return out;
}

/** The OpenClaw events one RunEvent becomes, in the order they go out. */
export function projectRunEvent(ev: RunEvent): Projected[] {
  switch (ev.type) {
    case "accepted":
      return [sessionsChanged(ev, "run-started")];
    case "status":
      return [agent(ev, "run_status", { phase: ev.phase }), chat(ev, { state: "status", phase: ev.phase })];
    case "started": {
      const start = agent(ev, "lifecycle", { phase: "start", startedAt: ev.startedAt }, true);
      return ev.userMessage ? [sessionMessage(ev.sessionKey, ev.agentId, ev.userMessage), start] : [start];
    }
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
      return withReply(ev, [
        agent(ev, "lifecycle", end, true),
        chat(ev, { state: "final", stopReason: ev.stopReason, message: assistantMessage(ev.text, ev.ts) }),
        sessionsChanged(ev, "run-ended"),
      ]);
    }
    case "aborted": {
      const end = {
        phase: "end",
        startedAt: ev.startedAt,
        endedAt: ev.endedAt,
        aborted: true,
        stopReason: "aborted",
      };
      return withReply(ev, [
        agent(ev, "lifecycle", end, true),
        chat(ev, {
          state: "aborted",
          ...(ev.text ? { message: assistantMessage(ev.text, ev.ts) } : {}),
          errorMessage: ev.message,
        }),
        sessionsChanged(ev, "run-ended"),
      ]);
    }
    case "error":
      return withReply(ev, [
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
      ]);
  }
}

/** Where one projected event of a run goes (its session, and who started the run). */
export function audienceOf(ev: Pick<RunEvent, "sessionKey" | "startedBy">, p: Projected): SessionAudience {
  return { key: ev.sessionKey, audience: p.audience ?? "run", startedBy: ev.startedBy };
}

/**
 * Sends every run's events to the sockets that should see them: the WebSocket surface's tap on
 * the run service. Run events reach every operator without `session-scoped-events`, and a client
 * with it only for the sessions it subscribed to and the runs it started.
 */
export function broadcastRuns(events: {
  broadcast(event: string, payload: unknown, opts?: BroadcastOptions): unknown;
  /** Connections open now; with none, nothing is projected (a gateway serving only HTTP). */
  count?(): number;
}): (ev: RunEvent) => void {
  return (ev) => {
    if (events.count?.() === 0) return;
    for (const p of projectRunEvent(ev)) {
      const session = audienceOf(ev, p);
      events.broadcast(p.event, p.payload, p.droppable ? { droppable: true, session } : { session });
    }
  };
}
