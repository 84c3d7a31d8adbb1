// `config.get` (read): the effective config, redacted, and its hashes; `config.patch` / `config.apply` (admin): edits.
import { type TSchema, Type } from "@sinclair/typebox";
import { mergePatch } from "../config/merge-patch.js";
import { redactConfig } from "../config/walk.js";
import type { Config } from "../config/schema.js";
import { invalidRequest } from "../protocol/errors.js";
import type { ConfigFileInfo } from "./context.js";
import { defineMethod, type MethodDef } from "./registry.js";

/** What the config methods need: the effective config and the file it came from. */
export interface ConfigDeps {
  config: Config;
  configFile: ConfigFileInfo;
}

const HASH = Type.String({ pattern: "^[0-9a-f]{64}$", description: "config.get's hash" });

/**
 * Result: `{path, exists, valid, hash, effectiveHash, config, issues[]}`. `hash` is the sha256
 * of the file's bytes (what config.patch's `baseHash` names); `effectiveHash` that of the
 * effective config; `issues` lists degraded sections' problems.
 */
export const configGet = defineMethod({
  name: "config.get",
  scope: "operator.read",
  params: Type.Object({}, { additionalProperties: false }),
  handler: (ctx: ConfigDeps) => ({
    path: ctx.configFile.path ?? null,
    exists: ctx.configFile.exists,
    valid: ctx.configFile.issues.length === 0,
    hash: ctx.configFile.hash,
    effectiveHash: ctx.configFile.effectiveHash,
    config: redactConfig(ctx.config),
    issues: ctx.configFile.issues.map((p) => ({ path: p.path, message: p.message })),
  }),
});

/**
 * `{raw}` replaces the whole file with that text; `{patch}` applies a JSON merge patch (RFC 7396)
 * to the file's JSON and writes the result as JSON (comments in a JSON5 file do not survive).
 * Either way `baseHash` must be the file's current hash, and the result is validated, written
 * atomically and applied as a reload. Result: `{ok, path, hash, effectiveHash, pendingRestart, issues}`.
 */
export const configPatch = defineMethod({
  name: "config.patch",
  scope: "operator.admin",
  params: Type.Object(
    {
      raw: Type.Optional(Type.String({ maxLength: 16 * 1024 * 1024 })),
      patch: Type.Optional(Type.Object({}, { additionalProperties: true })),
      baseHash: HASH,
    },
    { additionalProperties: false },
  ),
  handler: (ctx: ConfigDeps, params) => {
    if ((params.raw === undefined) === (params.patch === undefined)) {
      throw invalidRequest("invalid config.patch params: give exactly one of raw and patch");
    }
    const text =
      params.raw ?? `${JSON.stringify(mergePatch(ctx.configFile.fileJson(), params.patch), null, 2)}\n`;
    return ctx.configFile.write(text, params.baseHash, "config.patch");
  },
});

/** `{raw, baseHash}`: replaces the whole file, through the same checks and reload as config.patch. */
export const configApply = defineMethod({
  name: "config.apply",
  scope: "operator.admin",
  params: Type.Object(
    { raw: Type.String({ maxLength: 16 * 1024 * 1024 }), baseHash: HASH },
    { additionalProperties: false },
  ),
  handler: (ctx: ConfigDeps, params) => ctx.configFile.write(params.raw, params.baseHash, "config.apply"),
});

export const configMethods: MethodDef<TSchema, ConfigDeps>[] = [configGet, configPatch, configApply];
