// models.list: every configured model of every provider, with its limits, input kinds, tool support and availability.
import { Type } from "@sinclair/typebox";
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
  handler: (ctx: ModelsDeps) => {
    const { models } = ctx.models.list();
    const cooldowns = ctx.cooldowns;
    if (cooldowns === undefined) return { models };
    // Each row says whether it may be called now: ok, or cooling / probing / disabled and why.
    return {
      models: models.map((m) => {
        const held = cooldowns.view(m.provider, m.id);
        const state = held.some((c) => c.state === "disabled")
          ? "disabled"
          : held.some((c) => c.state === "cooling")
            ? "cooling"
            : held.some((c) => c.state === "probing")
              ? "probing"
              : "ok";
        return { ...m, state, cooldowns: held };
      }),
    };
  },
});

export const modelsMethods = [modelsList];
