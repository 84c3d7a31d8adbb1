// `logs.tail`: the gateway log over RPC, paged by byte cursor (lifecycle/log-tail.ts reads the file).
import { type TSchema, Type } from "@sinclair/typebox";
import { tailLog } from "../lifecycle/log-tail.js";
import type { LogsTailResult } from "../protocol/results.js";
import { defineMethod, type MethodDef } from "./registry.js";

export type { LogsTailResult };

/** What `logs.tail` needs: where the gateway writes its log. */
export interface LogsDeps {
  gateway: { logFile: string };
}

export const logsTail = defineMethod({
  name: "logs.tail",
  scope: "operator.read",
  params: Type.Object(
    {
      cursor: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5_000 })),
      maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    },
    { additionalProperties: false },
  ),
  handler: (ctx: LogsDeps, params) => tailLog(ctx.gateway.logFile, params),
});

export const logsMethods: MethodDef<TSchema, LogsDeps>[] = [logsTail];
