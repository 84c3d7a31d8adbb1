// `config.get` (read): the effective config with every secret redacted, plus its hash.
import { type TSchema, Type } from "@sinclair/typebox";
import { redactConfig } from "../config/walk.js";
import type { Config } from "../config/schema.js";
import type { ConfigFileInfo } from "./context.js";
import { defineMethod, type MethodDef } from "./registry.js";

/**
 * Result: `{path, exists, valid, hash, config, issues[]}`. `hash` identifies the effective
 * config (the future `baseHash` of config.patch); `issues` lists degraded sections' problems.
 */
/** What `config.get` needs: the effective config and the file it came from. */
export interface ConfigDeps {
  config: Config;
  configFile: ConfigFileInfo;
}

export const configGet = defineMethod({
  name: "config.get",
  scope: "operator.read",
  params: Type.Object({}, { additionalProperties: false }),
  handler: (ctx: ConfigDeps) => ({
    path: ctx.configFile.path ?? null,
    exists: ctx.configFile.exists,
    valid: ctx.configFile.issues.length === 0,
    hash: ctx.configFile.hash,
    config: redactConfig(ctx.config),
    issues: ctx.configFile.issues.map((p) => ({ path: p.path, message: p.message })),
  }),
});

export const configMethods: MethodDef<TSchema, ConfigDeps>[] = [configGet];
