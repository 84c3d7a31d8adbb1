// POST <path>/<name>: a configured mapping turns any sender's JSON into a wake or an agent run
// through its message template; signed senders prove themselves by HMAC instead of the token.
import { randomUUID } from "node:crypto";
import type { HooksConfig } from "../config/schema.js";
import { jsonReply } from "../http/errors.js";
import type { Reply, RequestContext } from "../http/types.js";
import { GatewayError, invalidRequest } from "../protocol/errors.js";
import { startHookRun, wakeSession } from "./actions.js";
import { authorize, type Credential } from "./auth.js";
import { answerRun, type HooksDeps, liveHooks } from "./gate.js";
import { callerKey, defaultKey, hookAgent } from "./session.js";
import { renderTemplate } from "./template.js";

type Mapping = HooksConfig["mappings"][number];

/** Longest delivery id taken from an idempotency header (the run id space allows 256). */
const MAX_DELIVERY_CHARS = 128;

/**
 * `POST <path>/<name>`: the mapping's auth (its signature, else the token), its template over the
 * JSON body, then its action (`wake`, or an `agent` run answered 202).
 */
export async function mappingRoute(deps: HooksDeps, ctx: RequestContext, now: number): Promise<Reply> {
  const config = liveHooks(deps.source);
  const name = ctx.params["name"] ?? "";
  const mapping = config.hooks.mappings.find((m) => m.name === name);
  if (!mapping) {
    // Only a caller with the token learns that a name is unknown: without it, guessing names
    // is a 401 that counts toward the lockout like any other guess.
    authorize(ctx, config.hooks, deps.limiter, { kind: "token" }, now);
    throw new GatewayError("NOT_FOUND", `no hook mapping named ${name.slice(0, 64)}`);
  }
  const credential: Credential = mapping.signature
    ? { kind: "signature", signature: mapping.signature, raw: await ctx.body() }
    : { kind: "token" };
  authorize(ctx, config.hooks, deps.limiter, credential, now);
  const body = await ctx.json();
  const message = renderTemplate(mapping.messageTemplate, body, ctx.headers).trim();
  if (!message) {
    throw invalidRequest(`messageTemplate of ${mapping.name} rendered an empty message`, {
      code: "INVALID_BODY",
      field: "messageTemplate",
    });
  }
  const agentId = hookAgent(config, mapping.agentId);
  const delivery = deliveryId(mapping, ctx);
  const source = `hook:${mapping.name}`;
  if (mapping.action === "wake") {
    const done = await wakeSession(deps.services, {
      text: message,
      agentId,
      source,
      idempotencyKey: delivery,
    });
    return jsonReply(200, { ok: true, ...done });
  }
  const admission = await startHookRun(deps.services, {
    message,
    agentId,
    sessionKey: mappingKey(config.hooks, mapping, body, ctx),
    // A sender's retry of one delivery names the same run, which starts once.
    runId: delivery ? `hook:${mapping.name}:${delivery}` : randomUUID(),
    source,
    model: mapping.model,
    timeoutSeconds: mapping.timeoutSeconds,
  });
  return answerRun(admission, ctx.signal);
}

/** The session of a mapping's run: its key (a template renders to a caller-chosen key) or the default. */
function mappingKey(hooks: HooksConfig, mapping: Mapping, body: unknown, ctx: RequestContext): string {
  if (mapping.sessionKey === undefined) return defaultKey(hooks);
  if (!mapping.sessionKey.includes("{{")) return mapping.sessionKey;
  const key = renderTemplate(mapping.sessionKey, body, ctx.headers).trim();
  if (!key)
    throw invalidRequest("sessionKey template rendered an empty key", {
      code: "INVALID_BODY",
      field: "sessionKey",
    });
  return callerKey(hooks, key, "sessionKey");
}

/** The delivery id from the mapping's idempotency header, when it names one and the sender sent it. */
function deliveryId(mapping: Mapping, ctx: RequestContext): string | undefined {
  if (!mapping.idempotencyHeader) return undefined;
  const value = ctx.headers[mapping.idempotencyHeader.toLowerCase()];
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (text.length > MAX_DELIVERY_CHARS) {
    throw invalidRequest(`${mapping.idempotencyHeader} is longer than ${MAX_DELIVERY_CHARS} characters`, {
      code: "INVALID_BODY",
      field: mapping.idempotencyHeader,
    });
  }
  return text;
}
