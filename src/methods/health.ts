// `health`: the cached snapshot (ok, uptime, memory, event loop, subsystems, startup steps) plus agents and sessions.
import { type TSchema, Type } from "@sinclair/typebox";
import type { Config } from "../config/schema.js";
import { providerAvailability } from "../models/availability.js";
import type { Cooldowns } from "../models/cooldowns.js";
import type { ModelRegistry } from "../models/registry.js";
import { configWarnings } from "../models/warnings.js";
import { hasScope } from "../protocol/scopes.js";
import { agentIds } from "../sessions/keys.js";
import type { HealthSource } from "./context.js";
import { openStore, sessionsOf, type SummaryStore } from "./session-summary.js";
import { defineMethod, type MethodDef } from "./registry.js";

/** What `health` needs. */
export interface HealthDeps {
  health: HealthSource;
  config: Config;
  models: ModelRegistry;
  /** The gateway's cooldowns, once the runs are built. */
  cooldowns?: Cooldowns | undefined;
  /** The session store (its getter throws until the sessions startup step has opened it). */
  store: SummaryStore;
}

/**
 * Result: `{ok, ts, durationMs, uptimeMs, defaultAgentId, memory, eventLoop, subsystems:
 * {name: {state, reason?}}, startup: {phase, steps[]}, warnings: string[]}` from the
 * background-refreshed cache (`probe: true` measures first), and, in the reference's shape,
 * `heartbeatSeconds` (0: Keel runs no heartbeat), `agents: [{agentId, name?, isDefault,
 * heartbeat: {enabled: false, every: "disabled", everyMs: null}, sessions}]` and `sessions:
 * {path, count, recent: [{key, updatedAt, age}]}`, read from the store at the call (live
 * sessions, archived ones left out; `recent` empty for a caller without operator.read), and
 * `providers: [{id, endpoint, credentials[], models[]}]`, each with its state (ok, cooling,
 * probing or disabled, with kind and until when held back; models also carry `lastError`).
 * `warnings` (config problems that keep chats from working) never change `ok` or a subsystem's
 * state.
 */
export const health = defineMethod({
  name: "health",
  scope: "connected",
  params: Type.Object(
    { probe: Type.Optional(Type.Boolean({ description: "Measure now instead of serving the cache" })) },
    { additionalProperties: false },
  ),
  handler: async (ctx: HealthDeps, params, caller) => {
    const snapshot = ctx.health.snapshot(params.probe === true);
    const store = openStore(ctx);
    // Session keys are for operators; a scope-less probe connect sees the counts only.
    const showKeys = hasScope(caller.scopes, "operator.read");
    const { defaultId, entries } = ctx.config.agents;
    const agents = await Promise.all(
      agentIds(ctx.config).map(async (agentId) => ({
        agentId,
        ...(entries[agentId]?.name === undefined ? {} : { name: entries[agentId]?.name }),
        isDefault: agentId === defaultId,
        heartbeat: { enabled: false, every: "disabled", everyMs: null },
        ...(store ? { sessions: await sessionsOf(store, agentId, showKeys) } : {}),
      })),
    );
    return {
      ...snapshot,
      warnings: configWarnings(ctx.config),
      providers: providerAvailability(ctx.models, ctx.cooldowns),
      heartbeatSeconds: 0,
      agents,
      ...(store ? { sessions: await sessionsOf(store, undefined, showKeys) } : {}),
    };
  },
});

export const healthMethods: MethodDef<TSchema, HealthDeps>[] = [health];
