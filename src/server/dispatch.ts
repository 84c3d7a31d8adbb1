// Request dispatch after the handshake: frame check, lookup, scope, params, handler, typed errors.
import type { Logger } from "../lifecycle/logger.js";
import { type Caller, type MethodRegistry, TwoResponses } from "../methods/registry.js";
import { clip, GatewayError, invalidRequest, toGatewayError, unavailable } from "../protocol/errors.js";
import { RequestFrameSchema } from "../protocol/frames.js";
import { hasScope } from "../protocol/scopes.js";
import { compileValidator } from "../protocol/validate.js";
import type { Connection } from "./connection.js";
import { readableId } from "./handshake.js";

export interface DispatcherOptions {
  logger: Logger;
  /** True once the gateway is closing: new requests get UNAVAILABLE `gateway-closing`. */
  draining: () => boolean;
  /**
   * Requests one connection may have in flight. Past it a request is refused (retryable), so a
   * client firing requests without awaiting them cannot pile up unbounded handler work.
   */
  maxInFlight: number;
}

const requestFrame = compileValidator(RequestFrameSchema);

/** Runs requests through the registry. Handlers throw; the mapping to the wire happens here, once. */
export class Dispatcher<Ctx> {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly registry: MethodRegistry<Ctx>,
    private readonly ctx: Ctx,
    private readonly options: DispatcherOptions,
  ) {}

  /** Handles one parsed frame from an authenticated connection. Never throws. */
  handle(conn: Connection, frame: unknown): void {
    const id = readableId(frame);
    const problem = requestFrame.explain(frame);
    if (problem) {
      // Without an id there is nobody to answer; the frame is dropped.
      if (id)
        conn.respond(id, { ok: false, error: invalidRequest(`invalid request frame: ${problem}`).toShape() });
      else this.options.logger.debug({ connId: conn.id }, `dropped frame: ${problem}`);
      return;
    }
    const { method, params } = frame as { id: string; method: string; params?: unknown };
    const work = this.run(conn, id as string, method, params).finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Resolves when every in-flight request has answered, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.pending]), timeout]);
    clearTimeout(timer);
  }

  private async run(conn: Connection, id: string, method: string, params: unknown): Promise<void> {
    const reply = (payload: unknown) => conn.respond(id, { ok: true, payload });
    const fail = (err: unknown) => {
      const e = toGatewayError(err);
      if (!(err instanceof GatewayError)) {
        this.options.logger.error({ err, method, connId: conn.id }, `method ${method} failed: ${e.message}`);
      }
      conn.respond(id, { ok: false, error: e.toShape() });
    };
    conn.inFlight += 1;
    try {
      const result = await this.invoke(conn, method, params);
      if (result instanceof TwoResponses) {
        reply(result.accepted);
        // The final answer may come long after; the connection may be gone by then (respond no-ops).
        await result.final.then(reply, fail);
      } else {
        reply(result);
      }
    } catch (err) {
      fail(err);
    } finally {
      conn.inFlight -= 1;
    }
  }

  private async invoke(conn: Connection, method: string, params: unknown): Promise<unknown> {
    const identity = conn.identity!;
    if (this.options.draining()) throw unavailable("gateway is shutting down", "gateway-closing", 1_000);
    if (method === "connect") throw invalidRequest("invalid request: already connected");
    const entry = this.registry.get(method);
    if (!entry) throw invalidRequest(`unknown method: ${clip(method)}`);
    const { def, validate } = entry;
    if (!hasScope(identity.scopes, def.scope)) {
      throw new GatewayError("FORBIDDEN", `missing scope: ${def.scope}`, {
        details: { code: "MISSING_SCOPE", missingScope: def.scope, requiredScopes: [def.scope] },
      });
    }
    const input = params ?? {};
    const problem = validate.explain(input);
    if (problem) throw invalidRequest(`invalid ${method} params: ${problem}`);
    if (conn.inFlight > this.options.maxInFlight) {
      throw unavailable("too many requests in flight on this connection", "overloaded", 100);
    }
    const caller: Caller = {
      connId: conn.id,
      role: identity.role,
      scopes: identity.scopes,
      clientId: identity.client.id,
      clientMode: identity.client.mode,
      // Each request gets its own signal, derived from the connection's: closing the socket aborts it.
      signal: AbortSignal.any([conn.signal]),
    };
    return def.handler(this.ctx, input, caller);
  }
}
