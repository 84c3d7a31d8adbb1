// Which session and agent a webhook may use: allowlisted caller-chosen keys, hook:<uuid> by
// default, no reserved prefix but hook:, and only the agents hooks.allowedAgentIds names.
import { randomUUID } from "node:crypto";
import type { Config, HooksConfig } from "../config/schema.js";
import { invalidRequest } from "../protocol/errors.js";
import {
  assertAgent,
  HOOK_PREFIX,
  isHookKey,
  isReservedKey,
  ReservedSessionKeyError,
  resolveSessionKey,
} from "../sessions/keys.js";

/**
 * A session key the caller chose (a body's `sessionKey`, a rendered mapping template): allowed
 * only with `allowRequestSessionKey` and a matching `allowedSessionKeyPrefixes` entry.
 */
export function callerKey(hooks: HooksConfig, key: string, field: string): string {
  if (!hooks.allowRequestSessionKey) {
    throw invalidRequest(
      `${field}: a caller-chosen session key is not allowed (hooks.allowRequestSessionKey)`,
      {
        code: "SESSION_KEY_NOT_ALLOWED",
        field,
      },
    );
  }
  if (!hooks.allowedSessionKeyPrefixes.some((p) => key.startsWith(p))) {
    throw invalidRequest(`${field}: must start with one of hooks.allowedSessionKeyPrefixes`, {
      code: "SESSION_KEY_NOT_ALLOWED",
      field,
    });
  }
  return key;
}

/** The session of a run that names none: hooks.defaultSessionKey, else a fresh isolated one. */
export function defaultKey(hooks: HooksConfig): string {
  return hooks.defaultSessionKey ?? `${HOOK_PREFIX}${randomUUID()}`;
}

/**
 * The agent a webhook runs: `agentId` (or the default agent) when the config knows it and
 * hooks.allowedAgentIds (when set) lists it; 400 naming the field otherwise.
 */
export function hookAgent(config: Config, agentId: string | undefined, field = "agentId"): string {
  const id = agentId ?? config.agents.defaultId;
  const allowed = config.hooks.allowedAgentIds;
  if (allowed.length > 0 && !allowed.includes(id)) {
    throw invalidRequest(`${field}: agent ${id} is not in hooks.allowedAgentIds`, {
      code: "AGENT_NOT_ALLOWED",
      field,
    });
  }
  try {
    return assertAgent(config, id);
  } catch {
    throw invalidRequest(`${field}: unknown agent id ${id}`, { code: "UNKNOWN_AGENT_ID", field });
  }
}

/**
 * Refuses a key under a reserved prefix other than hook:, even one whose session already
 * exists: a webhook must not write into a subagent's, cron job's or ACP session.
 */
export function assertHookKey(config: Config, raw: string, agentId: string): void {
  const { key } = resolveSessionKey(config, raw, agentId);
  if (isReservedKey(key) && !isHookKey(key)) throw new ReservedSessionKeyError(key);
}
