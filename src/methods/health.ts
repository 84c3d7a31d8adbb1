// `health`: the cached snapshot (ok, uptime, memory, event loop, subsystems, startup steps).
import { type TSchema, Type } from "@sinclair/typebox";
import type { HealthSource } from "./context.js";
import { defineMethod, type MethodDef } from "./registry.js";

/**
 * Result: `{ok, ts, durationMs, uptimeMs, defaultAgentId, memory, eventLoop, subsystems:
 * {name: {state, reason?}}, startup: {phase, steps[]}}`. Served from the background-refreshed
 * cache; `probe: true` measures first.
 */
/** What `health` needs. */
export interface HealthDeps {
  health: HealthSource;
}

export const health = defineMethod({
  name: "health",
  scope: "operator.read",
  params: Type.Object(
    { probe: Type.Optional(Type.Boolean({ description: "Measure now instead of serving the cache" })) },
    { additionalProperties: false },
  ),
  handler: (ctx: HealthDeps, params) => ctx.health.snapshot(params.probe === true),
});

export const healthMethods: MethodDef<TSchema, HealthDeps>[] = [health];
