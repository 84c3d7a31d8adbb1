// models.list: every configured model of every provider, with its limits, input kinds, tool support and availability.
import { Type } from "@sinclair/typebox";
import type { ModelRegistry } from "../models/registry.js";
import { defineMethod } from "./registry.js";

/** What `models.list` needs: the model registry of the current config. */
export interface ModelsDeps {
  models: ModelRegistry;
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
  handler: (ctx: ModelsDeps) => ctx.models.list(),
});

export const modelsMethods = [modelsList];
