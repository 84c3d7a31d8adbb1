// sessions.subscribe / unsubscribe and sessions.messages.subscribe / unsubscribe: per-socket
// session subscriptions that decide who gets sessions.changed, session.message and scoped run events.
import { Type } from "@sinclair/typebox";
import { invalidRequest } from "../protocol/errors.js";
import { resolveSessionKey } from "../sessions/keys.js";
import type { SubscriptionBook } from "./context.js";
import { defineMethod } from "./registry.js";
import { type SessionMethodsDeps, SessionsListParams, sessionsList } from "./sessions.js";

/** What the subscription methods need: the connection book plus what sessions.list reads. */
export interface SubscriptionDeps extends SessionMethodsDeps {
  subscriptions: SubscriptionBook;
}

const Key = Type.String({ minLength: 1, maxLength: 512 });
const AgentId = Type.String({ minLength: 1, maxLength: 64 });
const MessagesParams = Type.Object(
  { key: Key, agentId: Type.Optional(AgentId), includeApprovals: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const UnsubscribeMessagesParams = Type.Object(
  { key: Key, agentId: Type.Optional(AgentId) },
  { additionalProperties: false },
);

/**
 * The socket receives `sessions.changed` for every session. Params are sessions.list's (the
 * reference validates them so): with any given, the answer carries that list as well.
 */
export const sessionsSubscribe = defineMethod({
  name: "sessions.subscribe",
  scope: "operator.read",
  params: SessionsListParams,
  handler: async (ctx: SubscriptionDeps, p, caller) => {
    const subscribed = ctx.subscriptions.setSessions(caller.connId, true);
    if (Object.keys(p).length === 0) return { subscribed };
    return { subscribed, list: await sessionsList.handler(ctx, p, caller) };
  },
});

export const sessionsUnsubscribe = defineMethod({
  name: "sessions.unsubscribe",
  scope: "operator.read",
  params: Type.Object({}, { additionalProperties: false }),
  handler: (ctx: SubscriptionDeps, _p, caller) => {
    ctx.subscriptions.setSessions(caller.connId, false);
    return { subscribed: false };
  },
});

/**
 * The socket receives `session.message` and `sessions.changed` for one session, and — with the
 * `session-scoped-events` cap — that session's `chat` and `agent` events. The answer names the
 * canonical key (a bare `main` is `agent:main:main`).
 */
export const sessionsMessagesSubscribe = defineMethod({
  name: "sessions.messages.subscribe",
  scope: "operator.read",
  params: MessagesParams,
  handler: (ctx: SubscriptionDeps, p, caller) => {
    if (p.includeApprovals === true) {
      // Keel has no approval queue, so there is nothing to replay; saying so beats an empty lie.
      throw invalidRequest("sessions.messages.subscribe includeApprovals: this gateway has no approvals");
    }
    const { key } = resolveSessionKey(ctx.config, p.key, p.agentId);
    const subscribed = ctx.subscriptions.addMessages(caller.connId, key);
    return { subscribed, key };
  },
});

export const sessionsMessagesUnsubscribe = defineMethod({
  name: "sessions.messages.unsubscribe",
  scope: "operator.read",
  params: UnsubscribeMessagesParams,
  handler: (ctx: SubscriptionDeps, p, caller) => {
    const { key } = resolveSessionKey(ctx.config, p.key, p.agentId);
    ctx.subscriptions.removeMessages(caller.connId, key);
    return { subscribed: false, key };
  },
});

export const subscriptionMethods = [
  sessionsSubscribe,
  sessionsUnsubscribe,
  sessionsMessagesSubscribe,
  sessionsMessagesUnsubscribe,
];
