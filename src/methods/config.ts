// `config.get` (admin): the effective config with every secret redacted, plus its hash.
import { type TSchema, Type } from "@sinclair/typebox";
import { redactConfig } from "../config/walk.js";
import type { GatewayContext } from "./context.js";
import { defineMethod, type MethodDef } from "./registry.js";

/**
 * Result: `{path, exists, valid, hash, config, issues[]}`. `hash` identifies the effective
 * config (the future `baseHash` of config.patch); `issues` lists degraded sections' problems.
 */
export const configGet = defineMethod({
  name: "config.get",
  scope: "operator.admin",
  params: Type.Object({}, { additionalProperties: false }),
  handler: (ctx: GatewayContext) => ({
    path: ctx.configPath ?? null,
    exists: ctx.configExists,
    valid: ctx.configIssues.length === 0,
    hash: ctx.configHash,
    config: redactConfig(ctx.config),
    issues: ctx.configIssues.map((p) => ({ path: p.path, message: p.message })),
  }),
});

export const configMethods: MethodDef<TSchema, GatewayContext>[] = [configGet];
