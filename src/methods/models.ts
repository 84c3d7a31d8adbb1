// models.list: every configured model of every provider, with its limits, input kinds, tool support and availability.
import { Type } from "@sinclair/typebox";
import { listWithAvailability } from "../models/availability.js";
import type { Cooldowns } from "../models/cooldowns.js";
import type { ModelRegistry } from "../models/registry.js";
import { defineMethod } from "./registry.js";

/** What `models.list` needs: the model registry of the current config. */
export interface ModelsDeps {
  models: ModelRegistry;
  /** The gateway's cooldowns, once the runs are built. */
  cooldowns?: Cooldowns | undefined;
}

export const modelsList = defineMethod({
  name: "models.list",
  scope: "operator.read",
  params: Type.Object(
    {
      view: Type.Optional(
        Type.Union(["default", "configured", "provider-config", "all"].map((v) => Type.Literal(v))),
      ),
      preparedOnly: Type.Optional(Type.Boolean()),
      // Sent by the reference CLI (`models list`); every row carries its details already.
      includeDetails: Type.Optional(Type.Boolean()),
      refresh: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  // Each row says whether it may be called now (ok, cooling / probing / disabled and why) and
  // its last error of any kind, also the ones that cool nothing (a 404).
  handler: (ctx: ModelsDeps) =>
    ctx.cooldowns === undefined
      ? ctx.models.list()
      : { models: listWithAvailability(ctx.models, ctx.cooldowns) },
});

export const modelsMethods = [modelsList];
