// One /v1 request's run: started in its session, owned by the request (disconnect or
// gateway.http.maxRequestMs aborts it), answered whole or projected onto SSE by a Projector.
import type { Config } from "../config/schema.js";
import type { Reply, RequestContext } from "../http/types.js";
import type { ChatMessage } from "../models/messages.js";
import type { ModelRegistry } from "../models/registry.js";
import { GatewayError, httpStatusOf } from "../protocol/errors.js";
import type { RunEvent } from "../runs/events.js";
import type { TurnOptions } from "../runs/run.js";
import type { RunHandle, RunService } from "../runs/service.js";
import { startInSession } from "../runs/session-run.js";
import type { SessionStore } from "../sessions/store.js";
import { failureOfEvent, requestTimedOut, runFailure } from "../http/run-failure.js";
import { aborted } from "./errors.js";
import { RunFollower } from "../runs/follower.js";
import type { Conversation, ConversationMessage } from "./messages.js";
import { appendEarlier, type SessionChoice } from "./session.js";

/** What the /v1 handlers need; the gateway's services object satisfies it (getters read live state). */
export interface OpenAIDeps {
  readonly config: Config;
  readonly runs: RunService;
  readonly store: SessionStore;
  readonly models: ModelRegistry;
}

export interface TurnSpec {
  runId: string;
  agentId: string;
  ref?: string | undefined;
  conversation: Conversation;
  options: TurnOptions;
  session: SessionChoice;
  /**
   * A one-off request (no key, no `user`): a stateless run, so API traffic neither fills the disk
   * nor pushes people's sessions out of session.maintenance.maxEntries. Only its usage is kept.
   */
  oneOff?: boolean;
}

/** A run this request owns, and how to follow it. */
export interface OwnedRun {
  run: RunHandle;
  follower: RunFollower;
  /** True once the request outlived gateway.http.maxRequestMs (its run was aborted for it). */
  timedOut: () => boolean;
  maxRequestMs: number;
}

/**
 * Starts the run. The request's signal and its deadline both own it: either aborting ends the
 * run (the provider's socket with it). The earlier messages of the conversation are appended
 * to the session first, so the turn reads them as history.
 */
export async function startOwnedRun(
  deps: OpenAIDeps,
  ctx: RequestContext,
  spec: TurnSpec,
): Promise<OwnedRun> {
  const config = deps.config;
  const maxRequestMs = config.gateway.http.maxRequestMs;
  // The request owns the run: its signal (the caller going away) is the run's owner, and a timer
  // of our own ends it when the request outlives maxRequestMs. Not AbortSignal.timeout: the
  // timer is cleared when the run ends, so finished requests leave no pending timer each.
  const expiry: { passed: boolean; run?: RunHandle } = { passed: false };
  const expire = () => {
    const run = expiry.run;
    if (run) deps.runs.abort(run.sessionKey, run.runId, "client-gone");
  };
  const timer = setTimeout(() => {
    expiry.passed = true;
    expire();
  }, maxRequestMs);
  timer.unref();
  const release = () => clearTimeout(timer);
  const { conversation, session } = spec;
  const last = conversation.last;
  const admission = await startInSession(
    deps,
    session.key,
    {
      origin: "http",
      agentId: spec.agentId,
      // A one-off run is stateless: its history travels with it and nothing is written.
      ...(spec.oneOff
        ? { stateless: true }
        : { prepare: (entry) => appendEarlier(deps.store, entry, conversation, !session.resent) }),
    },
    {
      method: "agent",
      runId: spec.runId,
      message: last.content,
      ...(last.parts ? { parts: last.parts } : {}),
      ...(spec.ref ? { model: spec.ref } : {}),
      ...(conversation.system ? { extraSystemPrompt: conversation.system } : {}),
      options: spec.options,
      ...(spec.oneOff ? { history: conversation.earlier.map(promptMessage) } : {}),
      ownerSignal: ctx.signal,
    },
  ).catch((err: unknown) => {
    release();
    throw err;
  });
  if (admission.kind !== "new" || !admission.run) {
    release();
    // Run ids are fresh per request: a duplicate is a bug, not a client's retry.
    throw new GatewayError("UNAVAILABLE", "run id collision", { retryable: true });
  }
  const run = admission.run;
  // Following first, so the caller hears the end of a run that ends below.
  const follower = new RunFollower(run);
  expiry.run = run;
  // Gone, or out of time, while the run was being admitted: the owner's abort came too early to
  // reach it.
  if (expiry.passed || ctx.signal.aborted) expire();
  void run.waitEnd().then(release);
  return { run, follower, timedOut: () => expiry.passed, maxRequestMs };
}

/** A conversation message as the model reads it: tool results as a `tool` message. */
function promptMessage(m: ConversationMessage): ChatMessage {
  if (!m.parts) return { role: m.role, content: m.content };
  const tool = m.parts.length > 0 && m.parts.every((p) => p.type === "tool_result");
  return { role: tool ? "tool" : m.role, content: m.parts };
}

/** The error a terminal event that is not `final` stands for. */
export function terminalError(ev: RunEvent, owned: OwnedRun): GatewayError | undefined {
  if (ev.type === "error") return runFailure(failureOfEvent(ev));
  if (ev.type !== "aborted") return undefined;
  if (owned.timedOut()) return requestTimedOut(owned.maxRequestMs);
  return aborted(ev.reason);
}

/** What a whole (not streamed) answer is made of. */
export interface TurnResult {
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  usage: { input: number; output: number } | undefined;
  stopReason: string;
}

/**
 * Follows the run to its end; a failure throws its HTTP error. Events already queued are taken
 * at once: a wait only when none is.
 */
export async function collect(owned: OwnedRun): Promise<TurnResult> {
  const toolCalls: TurnResult["toolCalls"] = [];
  let usage: TurnResult["usage"];
  const { follower } = owned;
  try {
    for (;;) {
      for (let ev = follower.take(); ev !== undefined; ev = follower.take()) {
        if (ev.type === "tool_call") toolCalls.push({ id: ev.id, name: ev.name, arguments: ev.arguments });
        else if (ev.type === "usage") usage = { input: ev.input, output: ev.output };
        else if (ev.type === "final") return { text: ev.text, toolCalls, usage, stopReason: ev.stopReason };
        const err = terminalError(ev, owned);
        if (err) throw err;
      }
      if (follower.ended) throw aborted("ended without a result");
      await follower.arrival();
    }
  } finally {
    follower.close();
  }
}

/** Turns run events into one endpoint's SSE frames. Each method returns what to write ("" for nothing). */
export interface Projector {
  /** The frames that open the stream (a role chunk, `response.created`). */
  open(): string;
  /** The frames for one event; after a terminal `final` the stream ends. */
  event(ev: RunEvent): string;
  /** The frames for a failure after the stream started. */
  fail(err: GatewayError, status: number): string;
}

/** Events that mean the reply has begun (the HTTP status can no longer change after them). */
const OUTPUT = new Set<RunEvent["type"]>(["delta", "tool_call", "thinking"]);

/**
 * A streamed answer. Until the first output (a failover walk can take up to its deadline) the
 * status is not committed: a failure then is a proper HTTP error (a 429 with Retry-After when
 * every candidate is cooling). If nothing came within one keep-alive interval, the 200 goes out
 * and a keep-alive comment follows each quiet interval. A failure after the start is an error
 * frame and the end of the stream, never a clean end.
 */
export async function streamReply(
  owned: OwnedRun,
  projector: Projector,
  keepAliveMs: number,
): Promise<Reply> {
  const held: RunEvent[] = [];
  let idle = false;
  for (;;) {
    // Events already queued are taken at once; a wait (with its keep-alive timer) only when none is.
    const ev = owned.follower.take() ?? (await owned.follower.next(keepAliveMs));
    if (ev === "idle") {
      idle = true;
      break;
    }
    if (ev === "end") break;
    const err = terminalError(ev, owned);
    if (err) {
      owned.follower.close();
      throw err;
    }
    held.push(ev);
    if (OUTPUT.has(ev.type) || ev.type === "final") break;
  }
  return {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    },
    body: frames(owned, projector, held, idle, keepAliveMs),
  };
}

async function* frames(
  owned: OwnedRun,
  projector: Projector,
  held: RunEvent[],
  idle: boolean,
  keepAliveMs: number,
): AsyncGenerator<string> {
  try {
    let out = projector.open() + (idle ? ": keep-alive\n\n" : "");
    for (const ev of held) out += projector.event(ev);
    if (held.some((ev) => ev.type === "final")) return yield out;
    yield out;
    for (;;) {
      const ev = await owned.follower.next(keepAliveMs);
      if (ev === "idle") {
        yield ": keep-alive\n\n";
        continue;
      }
      if (ev === "end") {
        const err = aborted("ended without a result");
        return yield projector.fail(err, httpStatusOf(err));
      }
      // Every event already queued goes out in the same write.
      let text = "";
      for (let next: RunEvent | undefined = ev; next !== undefined; next = owned.follower.take()) {
        const err = terminalError(next, owned);
        if (err) return yield text + projector.fail(err, httpStatusOf(err));
        text += projector.event(next);
        if (next.type === "final") return yield text;
      }
      if (text) yield text;
    }
  } finally {
    owned.follower.close();
  }
}
