// Starting a run in the session a caller names: key → session (created when the caller's origin
// may), the session's strict model override and thinking level, then RunService.start.
import type { Config } from "../config/schema.js";
import type { ReasoningEffort } from "../models/messages.js";
import type { KeyOrigin } from "../sessions/keys.js";
import { openSession } from "../sessions/resolve.js";
import { modelOverrideRef, type SessionStore } from "../sessions/store.js";
import type { RunService, StartRequest } from "./service.js";

/** What starting a session's run needs (the gateway's services object satisfies this). */
export interface SessionRunDeps {
  runs: RunService;
  store: SessionStore;
  config: Config;
}

export interface SessionRunOptions {
  /** Who asks: decides which keys may be created (see sessions/keys.ts). */
  origin: KeyOrigin;
  agentId?: string | undefined;
  /** A thinking level from the request; the session's own level applies otherwise. */
  thinking?: string | undefined;
}

/**
 * Opens (or creates) the session `rawKey` names and starts a run in it. A duplicate idempotency
 * key answers before any session is touched. A model set on the session with sessions.patch is
 * a strict user override: the run calls exactly that model (no fallbacks) and reports its real
 * error; a `model` in the request itself wins over it.
 */
export async function startSessionRun(
  deps: SessionRunDeps,
  rawKey: string,
  req: Omit<StartRequest, "sessionKey" | "agentId" | "sessionId">,
  options: SessionRunOptions,
) {
  const dup = deps.runs.duplicate(req.runId, req.method);
  if (dup) return dup;
  const { entry } = await openSession(deps.store, deps.config, rawKey, {
    origin: options.origin,
    ...(options.agentId ? { agentId: options.agentId } : {}),
  });
  const model = req.model ?? modelOverrideRef(entry);
  const reasoning = reasoningFor(options.thinking ?? entry.thinkingLevel);
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
