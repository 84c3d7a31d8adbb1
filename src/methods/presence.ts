// `system-presence`: the gateway itself plus every connected client, as PresenceEntry[].
import { type TSchema, Type } from "@sinclair/typebox";
import type { GatewayContext } from "./context.js";
import { defineMethod, type MethodDef } from "./registry.js";

export const systemPresence = defineMethod({
  name: "system-presence",
  scope: "operator.read",
  params: Type.Object({}, { additionalProperties: false }),
  handler: (ctx: GatewayContext) => ctx.connections.presence(),
});

export const presenceMethods: MethodDef<TSchema, GatewayContext>[] = [systemPresence];
