// Starting a run in a caller's session: open or create the session by key, apply its model and
// thinking overrides, then admit the run. Every surface (WebSocket methods, /v1) starts runs here.
import { randomUUID } from "node:crypto";
import type { Config } from "../config/schema.js";
import type { ReasoningEffort } from "../models/messages.js";
import { type KeyOrigin, resolveSessionKey } from "../sessions/keys.js";
import { openSession } from "../sessions/resolve.js";
import { modelOverrideRef, type SessionStore, type SessionView } from "../sessions/store.js";
import type { Admission } from "./registry.js";
import type { RunService, StartRequest } from "./service.js";

/** What starting a run in a session needs. */
export interface SessionRunDeps {
  runs: RunService;
  store: SessionStore;
  config: Config;
}

export interface SessionRunOptions {
  /** Who asks: HTTP callers may not create reserved-prefix keys. */
  origin: KeyOrigin;
  agentId?: string | undefined;
  /** A thinking level (`low`, `high`, …); the session's own level when unset. */
  thinking?: string | undefined;
  /**
   * Runs once the session is open and before the run is admitted (the OpenAI surface appends
   * the earlier messages of a conversation it was sent whole).
   */
  prepare?: (entry: SessionView) => Promise<void>;
  /**
   * A stateless run (see RunInit.stateless): no session is opened or created; the run gets the
   * canonical key, the agent, and a fresh session id of its own.
   */
  stateless?: boolean;
}

/**
 * Opens (or creates) the session `rawKey` names and starts a run in it. A duplicate idempotency
 * key answers with the existing run and writes nothing. A model set on the session with
 * sessions.patch is a strict user override (that model only, its real error, no fallback); a
 * `model` in the request itself wins over it.
 */
export async function startInSession(
  deps: SessionRunDeps,
  rawKey: string,
  options: SessionRunOptions,
  req: Omit<StartRequest, "sessionKey" | "agentId" | "sessionId">,
): Promise<Admission> {
  const dup = deps.runs.duplicate(req.runId, req.method);
  if (dup) return dup;
  if (options.stateless) {
    const { key, agentId } = resolveSessionKey(deps.config, rawKey, options.agentId);
    return deps.runs.start({ ...req, stateless: true, sessionKey: key, agentId, sessionId: randomUUID() });
  }
  const { entry } = await openSession(deps.store, deps.config, rawKey, {
    origin: options.origin,
    ...(options.agentId ? { agentId: options.agentId } : {}),
  });
  await options.prepare?.(entry);
  const model = req.model ?? modelOverrideRef(entry);
  // An effort the request itself names wins over the session's thinking level.
  const reasoning = req.options?.reasoning ?? reasoningFor(options.thinking ?? entry.thinkingLevel);
  return deps.runs.start({
    ...req,
    ...(model === undefined ? {} : { model }),
    ...(reasoning === undefined ? {} : { options: { ...req.options, reasoning } }),
    sessionKey: entry.key,
    agentId: entry.agentId,
    sessionId: entry.sessionId,
  });
}

/**
 * The thinking levels clients send (`thinking` on chat.send/agent, a session's `thinkingLevel`)
 * as a reasoning effort: off (or unknown) asks for none, minimal and low are low, xhigh is high.
 */
export function reasoningFor(level: string | undefined): ReasoningEffort | undefined {
  switch (level) {
    case "minimal":
    case "low":
      return "low";
    case "medium":
      return "medium";
    case "high":
    case "xhigh":
      return "high";
    default:
      return undefined;
  }
}
