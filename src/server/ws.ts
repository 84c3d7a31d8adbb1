// The WebSocket listener on the HTTP server: upgrade, challenge, handshake, frames, timers, drain.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../lifecycle/logger.js";
import type { GatewayContext } from "../methods/index.js";
import type { MethodRegistry } from "../methods/registry.js";
import { toGatewayError, unavailable } from "../protocol/errors.js";
import { CHALLENGE_CAPABILITIES, CLOSE, MAX_PREAUTH_PAYLOAD_BYTES } from "../protocol/frames.js";
import type { ClientAddresses } from "./address.js";
import type { AuthRateLimiter } from "./auth.js";
import { Connection } from "./connection.js";
import type { Connections } from "./connections.js";
import { Dispatcher } from "./dispatch.js";
import { checkConnect, HandshakeFailure, readableId } from "./handshake.js";
import { buildHello } from "./hello.js";
import { isWebSocketPath } from "./http.js";
import { originAllowed } from "./origin.js";
import type { GatewaySecret } from "./secret.js";
import type { ShedLog } from "./shedding.js";

export interface SocketServerOptions {
  server: Server;
  ctx: GatewayContext;
  registry: MethodRegistry<GatewayContext>;
  connections: Connections;
  secret: GatewaySecret;
  limiter: AuthRateLimiter;
  /** Client addresses under gateway.trustedProxies (per-address budget, lockout, presence). */
  addresses: ClientAddresses;
  shed: ShedLog;
  logger: Logger;
  /** Startup steps done. */
  ready: () => boolean;
  /** Keepalive ping interval; a client that misses one round's pong is terminated. */
  pingIntervalMs: number;
  /** Requests one connection may have in flight. */
  maxInFlight: number;
}

export interface CloseOptions {
  reason: string;
  restartExpectedMs?: number;
  /** Time in-flight requests get to answer before sockets close. */
  drainMs: number;
}

/**
 * Accepts WebSocket upgrades on the gateway's HTTP server. Each socket gets a Connection; the
 * first frame goes to the handshake, later ones to the dispatcher.
 */
export class SocketServer {
  private readonly wss: WebSocketServer;
  private readonly dispatcher: Dispatcher<GatewayContext>;
  private readonly timers: NodeJS.Timeout[] = [];
  private draining = false;

  constructor(private readonly o: SocketServerOptions) {
    // Why the receiver starts at the pre-auth cap: ws checks a frame's declared length against
    // maxPayload as soon as the frame header arrives, before buffering any payload. Starting every
    // socket at 64 KiB makes an oversized pre-auth frame fail with 1009 after ~10 bytes; after
    // `connect` succeeds the limit is raised to policy.maxPayload (raisePayloadLimit below).
    // Compression stays off (the ws default): inflated sizes would need their own limit.
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_PREAUTH_PAYLOAD_BYTES,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.dispatcher = new Dispatcher(o.registry, o.ctx, {
      logger: o.logger,
      draining: () => this.draining,
      maxInFlight: o.maxInFlight,
    });
    o.server.on("upgrade", (req, socket, head) => this.onUpgrade(req, socket, head));
    const { gateway } = o.ctx.config;
    this.every(gateway.tickIntervalMs, () => {
      o.connections.broadcast("tick", { ts: Date.now() }, { droppable: true, snapshot: true });
      o.limiter.sweep();
    });
    this.every(o.pingIntervalMs, () => {
      for (const c of o.connections.all()) c.keepalive();
    });
  }

  /** Called after each health refresh: clients get the wire-safe snapshot as a `health` event. */
  healthChanged(): void {
    if (this.draining || this.o.connections.count() === 0) return;
    const payload = this.o.ctx.health.wireSnapshot();
    this.o.connections.broadcast("health", payload, {
      droppable: true,
      withStateVersion: true,
      snapshot: true,
    });
  }

  /**
   * Drain: refuse new requests (UNAVAILABLE gateway-closing), send `shutdown`, give in-flight
   * requests `drainMs` to answer, then close every socket 1012 "service restart".
   */
  async close(options: CloseOptions): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    for (const t of this.timers) clearInterval(t);
    this.o.connections.close();
    const payload: Record<string, unknown> = { reason: options.reason };
    if (options.restartExpectedMs !== undefined) payload["restartExpectedMs"] = options.restartExpectedMs;
    this.o.connections.broadcast("shutdown", payload);
    await this.dispatcher.idle(options.drainMs);
    const closed: Promise<void>[] = [];
    for (const c of [...this.o.connections.all()]) {
      closed.push(
        new Promise((resolve) => (c.state === "closed" ? resolve() : c.ws.once("close", () => resolve()))),
      );
      c.close(CLOSE.serviceRestart, "service restart");
    }
    // Connection.close destroys a socket whose peer does not answer; this only bounds the wait.
    await Promise.race([Promise.all(closed), delay(2_000)]);
    for (const c of this.o.connections.all()) c.ws.terminate();
    this.wss.close();
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Other paths are answered as plain HTTP by the router's upgrade listener (start.ts).
    if (!isWebSocketPath(req.url)) return;
    if (this.draining) refuseUpgrade(socket, "gateway is shutting down");
    else if (!this.o.connections.hasRoom()) refuseUpgrade(socket, "too many connections");
    else {
      const ip = this.o.addresses.of(req);
      // The pre-auth budget is full: its oldest socket (at this address first) makes room.
      for (const victim of this.o.connections.makePreAuthRoom(ip)) {
        victim.close(CLOSE.tryAgainLater, "too many unauthenticated sockets");
        this.o.shed.note(
          victim.ip === ip ? "gateway.preAuth.maxPerAddress" : "gateway.preAuth.maxConnections",
        );
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, socket as Socket, ip));
    }
  }

  private onConnection(ws: WebSocket, req: IncomingMessage, socket: Socket, ip: string): void {
    const { gateway } = this.o.ctx.config;
    const origin = req.headers.origin;
    const peer = {
      ip,
      socket,
      origin,
      originAllowed:
        origin === undefined ||
        originAllowed(origin, gateway.controlUi.allowedOrigins, {
          address: socket.localAddress,
          port: socket.localPort,
        }),
    };
    const conn = new Connection(ws, peer, gateway.maxBufferedBytes);
    this.o.connections.add(conn);
    // Without a listener, a receiver error (oversized frame, bad UTF-8) would throw in the process.
    ws.on("error", (err) => this.o.logger.debug({ err, connId: conn.id }, "websocket error"));
    ws.on("message", (data) => this.onMessage(conn, data));
    ws.once("close", () => this.o.connections.remove(conn));
    conn.armHandshakeTimeout(gateway.handshakeTimeoutMs);
    // Sent unprompted on open; doubles as the "listener up" signal, during startup too.
    conn.sendEvent("connect.challenge", {
      nonce: randomUUID(),
      ts: Date.now(),
      capabilities: [...CHALLENGE_CAPABILITIES],
    });
  }

  private onMessage(conn: Connection, data: RawData): void {
    conn.alive = true;
    if (conn.state === "closing" || conn.state === "closed") return;
    let frame: unknown;
    try {
      frame = JSON.parse(rawText(data));
    } catch {
      const msg =
        conn.state === "handshake" ? "invalid handshake: first request must be connect" : "invalid frame";
      conn.close(CLOSE.policy, `${msg} (not JSON)`);
      return;
    }
    if (conn.state === "handshake") this.handshake(conn, frame);
    else this.dispatcher.handle(conn, frame);
  }

  private handshake(conn: Connection, frame: unknown): void {
    try {
      const identity = checkConnect(frame, conn, {
        secret: this.o.secret,
        limiter: this.o.limiter,
        ready: this.o.ready,
        draining: () => this.draining,
      });
      if (!this.o.connections.hasRoom()) {
        // Others authenticated since this socket was admitted: gateway.maxConnections holds.
        const error = unavailable("too many connections", "overloaded", 1_000);
        conn.respond(readableId(frame) as string, { ok: false, error: error.toShape() });
        conn.close(CLOSE.tryAgainLater, "too many connections");
        return;
      }
      conn.authenticated(identity);
      this.o.connections.promote(conn);
      raisePayloadLimit(conn.ws, this.o.ctx.config.gateway.maxPayload);
      const hello = buildHello(conn, {
        ctx: this.o.ctx,
        connections: this.o.connections,
        methods: () => this.o.registry.methodNames(),
        events: () => this.o.registry.eventNames(),
      });
      conn.respond(readableId(frame) as string, { ok: true, payload: hello });
      this.o.connections.presenceChanged();
    } catch (err) {
      if (!(err instanceof HandshakeFailure)) {
        // A bug in building hello-ok must cost this socket, never the process.
        this.o.logger.error({ err, connId: conn.id }, "connect failed unexpectedly");
        const id = readableId(frame);
        if (id) conn.respond(id, { ok: false, error: toGatewayError(err).toShape() });
        conn.close(CLOSE.internalError, "internal error");
        return;
      }
      const { error, id, closeCode, closeReason } = err;
      this.o.logger.info(
        { connId: conn.id, ip: conn.ip, code: error.code, detailsCode: error.details?.["code"] },
        `connect refused: ${error.message}`,
      );
      if (id) conn.respond(id, { ok: false, error: error.toShape() });
      conn.close(closeCode, closeReason);
    }
  }
}

/**
 * Raises one socket's frame limit from the pre-auth cap to policy.maxPayload.
 *
 * Why a private field, after reading ws 8.23's source: `maxPayload` is a WebSocketServer
 * constructor option only. handleUpgrade passes it to `WebSocket#setSocket` (marked @private),
 * which bakes it into `new Receiver({maxPayload})` as `_maxPayload`; nothing public reads or
 * changes it per socket afterwards, and the receiver itself is reachable only as `_receiver`.
 * The public alternatives each lose something this gateway relies on:
 * - one server with maxPayload = policy.maxPayload, checking size in the message handler: ws
 *   buffers a whole frame before emitting it, so every unauthenticated socket could make the
 *   gateway hold 25 MiB (x maxConnections) before any check runs; the pre-auth 64 KiB cap
 *   (spec §1.2) exists to prevent exactly that;
 * - a second server for authenticated sockets: the limit is fixed at upgrade, before `connect`;
 * - parsing frame headers on the raw socket ourselves: a second WebSocket parser beside ws's.
 * So this writes the one field. If a future ws renames it, nothing here writes, every socket
 * keeps the 64 KiB cap, and the post-auth large-frame test (limits.test.ts) fails: the failure
 * mode is "too strict", never "unbounded".
 */
function raisePayloadLimit(ws: WebSocket, maxPayload: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (receiver && typeof receiver._maxPayload === "number") receiver._maxPayload = maxPayload;
}

/** A binary frame is read as UTF-8 text too; JSON.parse decides whether it is a frame. */
function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString("utf8");
}

/** An HTTP 503 instead of a WebSocket: no socket state is allocated for a refused client. */
function refuseUpgrade(socket: Duplex, message: string): void {
  // The HTTP server removed its own error listener when it handed the socket over for the
  // upgrade; a reset from this client must not become an uncaught 'error'.
  socket.on("error", () => {});
  socket.end(
    `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nRetry-After: 1\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
