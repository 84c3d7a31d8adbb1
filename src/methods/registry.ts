// Method definitions and the registry dispatch looks them up in: name, scope, params schema, handler.
import type { Static, TSchema } from "@sinclair/typebox";
import type { MethodScope } from "../protocol/scopes.js";
import { compileValidator, type Validator } from "../protocol/validate.js";

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
  scope: MethodScope;
  /** Closed params schema, checked before the handler runs. */
  params: S;
  // Method syntax on purpose: it makes a family's `MethodDef<TObject<…>, {store, config}>` storable
  // in one `MethodDef<TSchema, GatewayContext>[]` list, while a context missing a field the family
  // needs is still a type error when the list is registered.
  handler(ctx: Ctx, params: Static<S>, caller: Caller): unknown | Promise<unknown>;
}

/** Helper that keeps the params type tied to the schema. */
export function defineMethod<S extends TSchema, Ctx>(def: MethodDef<S, Ctx>): MethodDef<S, Ctx> {
  return def;
}

/** A registered method with its params validator compiled once. */
export interface RegisteredMethod<Ctx> {
  def: MethodDef<TSchema, Ctx>;
  validate: Validator<TSchema>;
}

/**
 * Every method the gateway serves, and the event names it emits (both advertised in
 * hello-ok.features). Families register arrays: `registry.register(sessionMethods)`.
 */
export class MethodRegistry<Ctx> {
  private readonly methods = new Map<string, RegisteredMethod<Ctx>>();
  private readonly events = new Set<string>();

  /** Adds a family of methods. A name registered twice is a wiring bug and throws. */
  register(defs: readonly MethodDef<TSchema, Ctx>[]): this {
    for (const def of defs) {
      if (this.methods.has(def.name)) throw new Error(`method registered twice: ${def.name}`);
      this.methods.set(def.name, { def, validate: compileValidator(def.params) });
    }
    return this;
  }

  /** Declares event names a family emits, so hello-ok lists only what Keel really sends. */
  declareEvents(names: readonly string[]): this {
    for (const n of names) this.events.add(n);
    return this;
  }

  get(name: string): RegisteredMethod<Ctx> | undefined {
    return this.methods.get(name);
  }

  methodNames(): string[] {
    return [...this.methods.keys()];
  }

  eventNames(): string[] {
    return [...this.events];
  }
}
