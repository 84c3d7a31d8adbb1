// agent (two responses: accepted, then final), agent.wait, wake.
import { Type } from "@sinclair/typebox";
import { MODEL_REF_OR_ALIAS } from "../config/schema.js";
import { invalidRequest } from "../protocol/errors.js";
import type { FinishedRun } from "../runs/run.js";
import { openSession } from "../sessions/resolve.js";
import { type RunMethodsDeps, startRun } from "./chat.js";
import { defineMethod, TwoResponses } from "./registry.js";

const AgentParams = Type.Object(
  {
    message: Type.String({ minLength: 1 }),
    idempotencyKey: Type.String({ minLength: 1, maxLength: 256 }),
    agentId: Type.Optional(Type.String({ minLength: 1 })),
    sessionKey: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    sessionId: Type.Optional(Type.String()),
    /** "provider/model" or an alias (agents.defaults.models[ref].alias). */
    model: Type.Optional(Type.String({ pattern: MODEL_REF_OR_ALIAS })),
    thinking: Type.Optional(Type.String()),
    deliver: Type.Optional(Type.Boolean()),
    bestEffortDeliver: Type.Optional(Type.Boolean()),
    channel: Type.Optional(Type.String()),
    to: Type.Optional(Type.String()),
    timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 604_800 })),
    extraSystemPrompt: Type.Optional(Type.String()),
    label: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** The final `agent` answer, shaped as the reference sends it. */
export function agentFinal(f: FinishedRun, sessionId: string) {
  const ok = f.status === "ok";
  const usage = f.usage
    ? { input: f.usage.input, output: f.usage.output, total: f.usage.input + f.usage.output }
    : undefined;
  return {
    runId: f.runId,
    status: ok ? "ok" : "error",
    summary: ok ? "completed" : f.status === "aborted" ? "aborted" : "failed",
    result: {
      payloads: f.text ? [{ text: f.text, mediaUrl: null }] : [],
      meta: {
        durationMs: f.endedAt - (f.startedAt ?? f.endedAt),
        agentMeta: {
          sessionId,
          provider: f.provider ?? null,
          model: f.model ?? null,
          ...(usage ? { usage } : {}),
        },
      },
    },
    ...(f.error ? { error: f.error } : {}),
  };
}

export const agent = defineMethod({
  name: "agent",
  scope: "operator.write",
  params: AgentParams,
  handler: async (ctx: RunMethodsDeps, p, caller) => {
    if (p.deliver && !p.bestEffortDeliver) {
      // Keel has no delivery channels: a delivery request can never be honoured.
      throw invalidRequest(
        "deliver: no delivery target can be resolved (set bestEffortDeliver to run anyway)",
      );
    }
    const admission = await startRun(
      ctx,
      p.sessionKey ?? "main",
      p.agentId,
      {
        method: "agent",
        runId: p.idempotencyKey,
        message: p.message,
        // The caller gets its own run's events even with session-scoped-events and no subscription.
        startedBy: caller.connId,
        ...(p.model ? { model: p.model } : {}),
        ...(p.extraSystemPrompt ? { extraSystemPrompt: p.extraSystemPrompt } : {}),
        ...(p.timeout ? { timeoutMs: p.timeout * 1000 } : {}),
      },
      p.thinking,
    );
    const run = admission.kind === "new" ? admission.run : admission.active;
    const finished = admission.kind === "duplicate" ? admission.finished : undefined;
    const runId = run?.runId ?? finished!.runId;
    const accepted = {
      runId,
      sessionKey: run?.sessionKey ?? finished!.sessionKey,
      agentId: run?.agentId ?? p.agentId ?? ctx.config.agents.defaultId,
      status: "accepted",
      acceptedAt: run?.acceptedAt ?? Date.now(),
    };
    const sessionId = run?.sessionId ?? finished!.sessionId;
    // No signal: the final answer is owed for as long as the run lives (respond no-ops once the
    // socket is gone), and the waiter leaves with the run.
    const final = run
      ? run.waitEnd().then((f) => agentFinal(f!, sessionId))
      : Promise.resolve(agentFinal(finished!, sessionId));
    return new TwoResponses(accepted, final);
  },
});

export const agentWait = defineMethod({
  name: "agent.wait",
  scope: "operator.read",
  params: Type.Object(
    {
      runId: Type.String({ minLength: 1 }),
      timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    },
    { additionalProperties: false },
  ),
  handler: async (ctx: RunMethodsDeps, p, caller) => {
    // Only waits; never stops the run. The caller's disconnect ends the wait, not the run.
    const result = await ctx.runs.wait(p.runId, { timeoutMs: p.timeoutMs ?? 30_000, signal: caller.signal });
    if (!result) throw invalidRequest("unknown runId", { runId: p.runId });
    if ("timeout" in result) {
      return {
        runId: p.runId,
        status: "timeout",
        livenessState: "working",
        ...(result.startedAt ? { startedAt: result.startedAt } : {}),
      };
    }
    return waitResult(result.finished);
  },
});

/**
 * agent.wait's answer for an ended run, with the reference's fields: `stopReason`,
 * `livenessState` ("working" for a run that ran to its end, as the reference reports it;
 * "aborted" or "failed" otherwise) and `terminalReply {disposition, text}` ("visible" when the
 * run left a reply, "none" when it left no text).
 */
export function waitResult(f: FinishedRun) {
  return {
    runId: f.runId,
    status: f.status === "ok" ? "ok" : "error",
    startedAt: f.startedAt,
    endedAt: f.endedAt,
    stopReason: f.stopReason,
    livenessState: f.status === "ok" ? "working" : f.status === "aborted" ? "aborted" : "failed",
    terminalReply: { disposition: f.text ? "visible" : "none", text: f.text },
    ...(f.error ? { error: f.error.message } : {}),
  };
}

export const wake = defineMethod({
  name: "wake",
  scope: "operator.write",
  params: Type.Object(
    {
      mode: Type.Union([Type.Literal("now"), Type.Literal("next-heartbeat")]),
      text: Type.String({ minLength: 1 }),
      sessionKey: Type.Optional(Type.String({ minLength: 1 })),
      agentId: Type.Optional(Type.String({ minLength: 1 })),
    },
    { additionalProperties: false },
  ),
  handler: async (ctx: RunMethodsDeps, p) => {
    const { entry } = await openSession(ctx.store, ctx.config, p.sessionKey ?? "main", {
      origin: "ws",
      ...(p.agentId ? { agentId: p.agentId } : {}),
    });
    // A system event: recorded in the session, read by the next turn as context. No run starts.
    const { seq } = await ctx.store.appendMessage({
      sessionKey: entry.key,
      sessionId: entry.sessionId,
      role: "system",
      content: p.text,
      meta: { wake: p.mode },
    });
    return { ok: true, sessionKey: entry.key, seq };
  },
});

export const agentRunMethods = [agent, agentWait, wake];
