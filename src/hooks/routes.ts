// The webhook endpoints: POST <path>/wake, <path>/agent and <path>/<mapping>, mounted at the
// live hooks.path, each gated by the hooks state (503 with the reason while disabled).
import { randomUUID } from "node:crypto";
import { jsonReply } from "../http/errors.js";
import type { Reply, RequestContext, Route } from "../http/types.js";
import { startHookRun, wakeSession } from "./actions.js";
import { authorize } from "./auth.js";
import { AgentBody, checkBody, WakeBody } from "./body.js";
import { answerRun, type HooksDeps, liveHooks } from "./gate.js";
import { mappingRoute } from "./mapping.js";
import { callerKey, defaultKey, hookAgent } from "./session.js";

/** Every webhook route, relative to the mount. */
export function hookRoutes(deps: HooksDeps): Route[] {
  const maxBodyBytes = () => deps.source.current().hooks.maxBodyBytes;
  const now = deps.now ?? Date.now;
  return [
    { method: "POST", path: "/wake", maxBodyBytes, handler: (ctx) => wake(deps, ctx, now()) },
    { method: "POST", path: "/agent", maxBodyBytes, handler: (ctx) => agent(deps, ctx, now()) },
    { method: "POST", path: "/:name", maxBodyBytes, handler: (ctx) => mappingRoute(deps, ctx, now()) },
  ];
}

async function wake(deps: HooksDeps, ctx: RequestContext, now: number): Promise<Reply> {
  const config = liveHooks(deps.source);
  authorize(ctx, config.hooks, deps.limiter, { kind: "token" }, now);
  const body = checkBody(WakeBody, await ctx.json(), "wake");
  const agentId = hookAgent(config, body.agentId);
  const done = await wakeSession(deps.services, { text: body.text, agentId, source: "hook" });
  return jsonReply(200, { ok: true, ...done });
}

async function agent(deps: HooksDeps, ctx: RequestContext, now: number): Promise<Reply> {
  const config = liveHooks(deps.source);
  authorize(ctx, config.hooks, deps.limiter, { kind: "token" }, now);
  const body = checkBody(AgentBody, await ctx.json(), "agent");
  const agentId = hookAgent(config, body.agentId);
  const sessionKey =
    body.sessionKey === undefined
      ? defaultKey(config.hooks)
      : callerKey(config.hooks, body.sessionKey, "sessionKey");
  // A caller that waits owns the run, for at most gateway.http.maxRequestMs.
  const wait = body.wait ? requestBound(ctx.signal, config.gateway.http.maxRequestMs) : undefined;
  try {
    const admission = await startHookRun(deps.services, {
      message: body.message,
      agentId,
      sessionKey,
      // Namespaced: a hook caller's key must never name another surface's run (and read its reply).
      runId: body.idempotencyKey ? `hook:agent:${body.idempotencyKey}` : randomUUID(),
      source: body.name ? `hook:${body.name}` : "hook",
      model: body.model,
      thinking: body.thinking,
      timeoutSeconds: body.timeoutSeconds,
      ...(wait ? { ownerSignal: wait.signal } : {}),
    });
    return await answerRun(admission, wait?.signal ?? ctx.signal, wait);
  } finally {
    wait?.clear();
  }
}

/** The request's signal, also aborted once it has lasted `maxMs`; `clear` stops that timer. */
function requestBound(signal: AbortSignal, maxMs: number) {
  const expiry = new AbortController();
  const timer = setTimeout(() => expiry.abort(new Error("gateway.http.maxRequestMs")), maxMs);
  timer.unref();
  return {
    signal: AbortSignal.any([signal, expiry.signal]),
    expired: () => expiry.signal.aborted,
    maxMs,
    clear: () => clearTimeout(timer),
  };
}
