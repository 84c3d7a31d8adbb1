// `health`: the cached snapshot (ok, uptime, memory, event loop, subsystems, startup steps).
import { type TSchema, Type } from "@sinclair/typebox";
import type { Config } from "../config/schema.js";
import { providerAvailability } from "../models/availability.js";
import type { Cooldowns } from "../models/cooldowns.js";
import type { ModelRegistry } from "../models/registry.js";
import { configWarnings } from "../models/warnings.js";
import type { HealthSource } from "./context.js";
import { defineMethod, type MethodDef } from "./registry.js";

/**
 * Result: `{ok, ts, durationMs, uptimeMs, defaultAgentId, memory, eventLoop, subsystems:
 * {name: {state, reason?}}, startup: {phase, steps[]}, warnings: string[], providers:
 * [{id, endpoint, credentials[], models[]}]}` (each with its state: ok, cooling, probing or disabled,
 * with kind and until when held back; models also carry `lastError`). Served from the
 * background-refreshed cache; `probe: true` measures first. `warnings` (config problems that keep
 * chats from working) never change `ok` or a subsystem's state.
 */
/** What `health` needs. */
export interface HealthDeps {
  health: HealthSource;
  config: Config;
  models: ModelRegistry;
  /** The gateway's cooldowns, once the runs are built. */
  cooldowns?: Cooldowns | undefined;
}

export const health = defineMethod({
  name: "health",
  scope: "connected",
  params: Type.Object(
    { probe: Type.Optional(Type.Boolean({ description: "Measure now instead of serving the cache" })) },
    { additionalProperties: false },
  ),
  handler: (ctx: HealthDeps, params) => ({
    ...ctx.health.snapshot(params.probe === true),
    warnings: configWarnings(ctx.config),
    providers: providerAvailability(ctx.models, ctx.cooldowns),
  }),
});

export const healthMethods: MethodDef<TSchema, HealthDeps>[] = [health];
