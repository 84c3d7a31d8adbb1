// chat.send, chat.abort, chat.inject: the streamed-chat methods over the run engine.
import { randomUUID } from "node:crypto";
import { Type } from "@sinclair/typebox";
import type { Config } from "../config/schema.js";
import type { RunService, StartRequest } from "../runs/service.js";
import { startInSession } from "../runs/session-run.js";
import { resolveSessionKey } from "../sessions/keys.js";
import { openSession } from "../sessions/resolve.js";
import type { SessionStore } from "../sessions/store.js";
import type { EventBus } from "./context.js";
import { attachmentBudget, attachmentParts, AttachmentsSchema } from "./attachments.js";
import { assistantMessage, sessionMessage } from "./run-events.js";
import { defineMethod } from "./registry.js";

/** What the run methods need from the gateway (its services object satisfies this). */
export interface RunMethodsDeps {
  runs: RunService;
  store: SessionStore;
  config: Config;
  /** Broadcasts events to operators (chat.inject announces its note). */
  events: Pick<EventBus, "broadcast">;
}

/**
 * Starts a run in the session a WebSocket caller names. WebSocket callers may use any key,
 * reserved prefixes included (see startInSession for overrides and idempotency).
 */
export function startRun(
  ctx: RunMethodsDeps,
  rawKey: string,
  agentId: string | undefined,
  req: Omit<StartRequest, "sessionKey" | "agentId" | "sessionId">,
  thinking?: string,
) {
  return startInSession(ctx, rawKey, { origin: "ws", agentId, thinking }, req);
}

const budget = (config: Config) =>
  attachmentBudget(config.agents.defaults.mediaMaxMb, config.gateway.maxPayload);
const Key = Type.String({ minLength: 1, maxLength: 512 });
const IdemKey = Type.String({ minLength: 1, maxLength: 256 });
const QueueMode = Type.Union(["steer", "followup", "collect", "interrupt"].map((m) => Type.Literal(m)));

export const ChatSendParams = Type.Object(
  {
    sessionKey: Key,
    message: Type.String(),
    idempotencyKey: IdemKey,
    agentId: Type.Optional(Type.String({ minLength: 1 })),
    sessionId: Type.Optional(Type.String()),
    thinking: Type.Optional(Type.String()),
    deliver: Type.Optional(Type.Boolean()),
    attachments: Type.Optional(AttachmentsSchema),
    // A week at most: past 2^31-1 ms setTimeout would fire at once and time the run out.
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 604_800_000 })),
    queueMode: Type.Optional(QueueMode),
    replyToId: Type.Optional(Type.String()),
    expectedLeafEntryId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const chatSend = defineMethod({
  name: "chat.send",
  scope: "operator.write",
  params: ChatSendParams,
  handler: async (ctx: RunMethodsDeps, p, caller) => {
    const admission = await startRun(
      ctx,
      p.sessionKey,
      p.agentId,
      {
        method: "chat",
        runId: p.idempotencyKey,
        message: p.message,
        ...(p.attachments?.length
          ? { parts: attachmentParts(p.message, p.attachments, budget(ctx.config)) }
          : {}),
        // The caller gets its own run's events even with session-scoped-events and no subscription.
        startedBy: caller.connId,
        queueMode: (p.queueMode ?? "followup") as "followup",
        ...(p.timeoutMs === undefined ? {} : { timeoutMs: p.timeoutMs }),
      },
      p.thinking,
    );
    if (admission.kind === "new") return { runId: admission.run.runId, status: "started" };
    // A duplicate never starts a second run: it reports the first one's state.
    if (admission.active) return { runId: admission.active.runId, status: "in_flight" };
    const f = admission.finished!;
    return { runId: f.runId, status: f.status === "ok" ? "ok" : f.status };
  },
});

export const chatAbort = defineMethod({
  name: "chat.abort",
  scope: "operator.write",
  params: Type.Object(
    {
      sessionKey: Key,
      runId: Type.Optional(Type.String({ minLength: 1 })),
      agentId: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  handler: (ctx: RunMethodsDeps, p) => {
    const { key } = resolveSessionKey(ctx.config, p.sessionKey, p.agentId);
    const runIds = ctx.runs.abort(key, p.runId);
    return { ok: true, aborted: runIds.length > 0, runIds };
  },
});

export const chatInject = defineMethod({
  name: "chat.inject",
  scope: "operator.admin",
  params: Type.Object(
    { sessionKey: Key, message: Type.String({ minLength: 1 }), label: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
  handler: async (ctx: RunMethodsDeps, p) => {
    const { entry } = await openSession(ctx.store, ctx.config, p.sessionKey, { origin: "ws" });
    const runId = `inject-${randomUUID()}`;
    const row = await ctx.store.appendMessage({
      sessionKey: entry.key,
      sessionId: entry.sessionId,
      role: "assistant",
      content: p.message,
      runId,
      meta: { injected: true, ...(p.label ? { label: p.label } : {}) },
    });
    const seq = row.seq;
    const note = sessionMessage(entry.key, entry.agentId, row);
    ctx.events.broadcast(note.event, note.payload, { session: { key: entry.key, audience: "messages" } });
    ctx.events.broadcast(
      "chat",
      {
        runId,
        sessionKey: entry.key,
        agentId: entry.agentId,
        seq: 1,
        state: "final",
        stopReason: "injected",
        message: assistantMessage(p.message),
      },
      { session: { key: entry.key, audience: "run" } },
    );
    return { ok: true, messageId: row.id, runId, seq };
  },
});

export const chatMethods = [chatSend, chatAbort, chatInject];
