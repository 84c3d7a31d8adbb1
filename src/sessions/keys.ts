// Session keys (spec §3.1): normalizing what callers send, agent scoping, and reserved prefixes.
import { HOOK_KEY_PREFIX, RESERVED_SESSION_PREFIXES } from "../config/hooks.js";
import type { Config } from "../config/schema.js";
import { GatewayError, invalidRequest } from "../protocol/errors.js";

/** Prefixes of sessions the gateway itself creates (subagents, cron, ACP, webhooks). */
export const RESERVED_PREFIXES = RESERVED_SESSION_PREFIXES;

/** Keys that stand alone and are never scoped to an agent. */
const SPECIAL_KEYS = new Set(["global", "unknown"]);

/**
 * Who asks: HTTP callers (`/v1/*`) may not create reserved keys; webhooks (`/hooks/*`) only
 * their own `hook:` ones; WebSocket callers may create any.
 */
export type KeyOrigin = "http" | "hook" | "ws" | "internal";

/** The reserved prefix of webhook sessions: the one reserved prefix hooks may use. */
export const HOOK_PREFIX = HOOK_KEY_PREFIX;

export interface ResolvedKey {
  /** The canonical key, e.g. `agent:main:main`. */
  key: string;
  agentId: string;
}

/** Thrown when an HTTP caller would create a session under a reserved prefix. */
export class ReservedSessionKeyError extends GatewayError {
  constructor(readonly key: string) {
    super("INVALID_REQUEST", `session key is reserved: ${key}`, {
      details: { code: "RESERVED_SESSION_KEY", key },
    });
  }
}

/** Every agent id the config knows; `main` and the default always exist. */
export function agentIds(config: Config): string[] {
  const ids = new Set<string>(["main", config.agents.defaultId, ...Object.keys(config.agents.entries)]);
  return [...ids];
}

/** Throws `INVALID_REQUEST` (`UNKNOWN_AGENT_ID`) for an agent the config does not know. */
export function assertAgent(config: Config, agentId: string): string {
  if (!agentIds(config).includes(agentId)) {
    throw invalidRequest(`unknown agent id: ${agentId}`, { code: "UNKNOWN_AGENT_ID", agentId });
  }
  return agentId;
}

/**
 * Canonical key for what a caller sent (spec §3.1):
 * `main` (or the configured mainKey) → `agent:<agent>:<mainKey>`; `agent:<id>:…` kept (id
 * checked); reserved-prefix keys and `global`/`unknown` kept as they are; any other bare key →
 * `agent:<agent>:<key>`. `<agent>` is `agentId` when given, else the default agent.
 */
export function resolveSessionKey(config: Config, raw: string, agentId?: string): ResolvedKey {
  const input = raw.trim();
  if (input.length === 0) throw invalidRequest("session key must not be empty", { field: "sessionKey" });
  const agent = assertAgent(config, agentId ?? config.agents.defaultId);
  const scoped = parseAgentKey(input);
  if (scoped) {
    assertAgent(config, scoped.agentId);
    if (agentId !== undefined && agentId !== scoped.agentId) {
      throw invalidRequest(`session key ${input} belongs to agent ${scoped.agentId}, not ${agentId}`, {
        code: "AGENT_KEY_MISMATCH",
      });
    }
    return { key: input, agentId: scoped.agentId };
  }
  if (isReservedKey(input) || SPECIAL_KEYS.has(input)) return { key: input, agentId: agent };
  const mainKey = config.session.mainKey;
  const rest = input === "main" || input === mainKey ? mainKey : input;
  return { key: `agent:${agent}:${rest}`, agentId: agent };
}

/** `agent:<id>:<rest>` split in two; undefined for any other shape. */
export function parseAgentKey(key: string): { agentId: string; rest: string } | undefined {
  const m = /^agent:([^:]+):(.+)$/.exec(key);
  return m ? { agentId: m[1]!, rest: m[2]! } : undefined;
}

/** Whether a key is reserved, either bare (`cron:x`) or agent-scoped (`agent:main:subagent:x`). */
export function isReservedKey(key: string): boolean {
  const rest = parseAgentKey(key)?.rest ?? key;
  return RESERVED_PREFIXES.some((p) => rest.startsWith(p));
}

/** Whether a key is a webhook session's (`hook:x`, `agent:main:hook:x`). */
export function isHookKey(key: string): boolean {
  return (parseAgentKey(key)?.rest ?? key).startsWith(HOOK_PREFIX);
}

/** Throws {@link ReservedSessionKeyError} when `origin` may not create `key`. */
export function assertCreatable(key: string, origin: KeyOrigin): void {
  if (origin === "http" && isReservedKey(key)) throw new ReservedSessionKeyError(key);
  if (origin === "hook" && isReservedKey(key) && !isHookKey(key)) throw new ReservedSessionKeyError(key);
}

/** The main session key of an agent, e.g. `agent:main:main`. */
export function mainSessionKey(config: Config, agentId = config.agents.defaultId): string {
  return `agent:${agentId}:${config.session.mainKey}`;
}
