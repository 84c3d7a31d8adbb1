// Method definitions: each declares its params schema, required scope and handler.
import type { Static, TSchema } from "@sinclair/typebox";
import type { Scope } from "../protocol/scopes.js";

/** Who is calling: the connection's identity as established by the handshake. */
export interface Caller {
  connId: string;
  role: string;
  scopes: readonly string[];
  clientId: string;
  clientMode: string;
  /** Aborted when the connection closes; requests derive their own signal from it. */
  signal: AbortSignal;
}

/**
 * A handler's second answer: `agent` acks with `accepted`, then sends `final` as a second `res`
 * with the same id (spec §1.1). Dispatch sends both.
 */
export class TwoResponses {
  constructor(
    readonly accepted: unknown,
    readonly final: Promise<unknown>,
  ) {}
}

export interface MethodDef<S extends TSchema = TSchema, Ctx = unknown> {
  name: string;
  scope: Scope;
  /** Closed params schema, checked before the handler runs. */
  params: S;
  handler: (ctx: Ctx, params: Static<S>, caller: Caller) => unknown | Promise<unknown>;
}

/** Helper that keeps the params type tied to the schema. */
export function defineMethod<S extends TSchema, Ctx>(def: MethodDef<S, Ctx>): MethodDef<S, Ctx> {
  return def;
}
