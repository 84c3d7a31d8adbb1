// `system-presence`: the gateway itself plus every connected client, as PresenceEntry[].
import { type TSchema, Type } from "@sinclair/typebox";
import type { ConnectionsView } from "./context.js";
import { defineMethod, type MethodDef } from "./registry.js";

/** What `system-presence` needs. */
export interface PresenceDeps {
  connections: ConnectionsView;
}

export const systemPresence = defineMethod({
  name: "system-presence",
  scope: "operator.read",
  params: Type.Object({}, { additionalProperties: false }),
  handler: (ctx: PresenceDeps) => ctx.connections.presence(),
});

export const presenceMethods: MethodDef<TSchema, PresenceDeps>[] = [systemPresence];
