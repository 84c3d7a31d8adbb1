// One WebSocket client: its socket, abort controller, timers, identity, event seq and send path.
import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import WebSocket from "ws";
import type { ErrorShape } from "../protocol/errors.js";
import { CLOSE, type ClientInfo, MAX_CLOSE_REASON_BYTES, type StateVersion } from "../protocol/frames.js";
import { SESSION_SCOPED_EVENTS } from "../protocol/caps.js";

/** Who the client is, once `connect` succeeded. */
export interface Identity {
  role: string;
  scopes: string[];
  client: ClientInfo;
  caps: string[];
  deviceId?: string;
  connectedAt: number;
}

/** Who is on the other end, as the upgrade request showed it. */
export interface Peer {
  ip: string;
  /**
   * The TCP socket of the upgrade (Node's public `upgrade` event argument). ws writes its frames
   * to this same socket, which is what lets `sendText` cork it without ws's private `_socket`.
   */
  socket: Socket;
  /** The upgrade's Origin header: a browser sent it. */
  origin?: string | undefined;
  /** The Origin is the gateway's own or on gateway.controlUi.allowedOrigins (true without one). */
  originAllowed: boolean;
}

export type ConnectionState = "handshake" | "open" | "closing" | "closed";

/**
 * The socket's session subscriptions: `sessions.subscribe` (changes of every session) and
 * `sessions.messages.subscribe` (one key each). They live on the connection so closing the socket
 * drops them with everything else it owns; Connections keeps the reverse index.
 */
export interface Subscriptions {
  sessions: boolean;
  /** Canonical session keys (bounded by `gateway.maxSessionSubscriptions`). */
  readonly messages: Set<string>;
}

/** What a broadcast did to one connection. */
export type Delivery = "sent" | "dropped" | "closed";

/**
 * After we send a close frame the peer has this long to answer before the socket is destroyed.
 * Long enough for a client that was briefly not reading to still receive the close reason
 * (e.g. "slow consumer"), short enough that its buffered bytes are freed soon.
 */
const CLOSE_GRACE_MS = 5_000;

/** Unsent bytes at close above which the connection's memory is worth a release (1 MiB). */
const SLOW_RELEASE_BYTES = 1024 * 1024;

/**
 * Owns everything about one socket; closing it clears the timers and aborts the controller, so
 * every request and subscription derived from `signal` ends with it.
 */
export class Connection {
  readonly id = randomUUID();
  readonly openedAt = Date.now();
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  state: ConnectionState = "handshake";
  identity: Identity | undefined;
  /** Requests whose handler has not answered yet (bounded by dispatch). */
  inFlight = 0;
  readonly subscriptions: Subscriptions = { sessions: false, messages: new Set() };
  /** Cleared by each keepalive round, set again by a pong or any frame. */
  alive = true;
  private seq = 0;
  private corked = false;
  /**
   * Set when the connection is closed for not reading: its send buffer was large, and the
   * memory it held is worth handing back once the socket is gone.
   */
  slowConsumer = false;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  readonly ip: string;
  /** The upgrade carried an Origin header (a browser): never loopback-exempt from rate limits. */
  readonly browserOrigin: boolean;
  readonly origin: string | undefined;
  readonly originAllowed: boolean;
  /** The upgrade's TCP socket (the one ws writes to). */
  readonly socket: Socket;

  constructor(
    readonly ws: WebSocket,
    peer: Peer,
    private readonly maxBufferedBytes: number,
  ) {
    this.ip = peer.ip;
    this.socket = peer.socket;
    this.origin = peer.origin;
    this.browserOrigin = peer.origin !== undefined;
    this.originAllowed = peer.originAllowed;
    ws.on("pong", () => {
      this.alive = true;
    });
    ws.once("close", () => this.dispose());
  }

  /** Closes the socket with a printable reason if `connect` has not succeeded within `ms`. */
  armHandshakeTimeout(ms: number): void {
    this.handshakeTimer = setTimeout(() => {
      if (this.state === "handshake") this.close(CLOSE.policy, `handshake timeout after ${ms} ms`);
    }, ms);
    this.handshakeTimer.unref();
  }

  /** The client asked for session-scoped events: run events reach it only for its sessions and runs. */
  get sessionScoped(): boolean {
    return this.identity?.caps.includes(SESSION_SCOPED_EVENTS) === true;
  }

  /** Marks the handshake done: the timer stops and broadcasts start reaching this client. */
  authenticated(identity: Identity): void {
    clearTimeout(this.handshakeTimer);
    this.identity = identity;
    this.state = "open";
  }

  /** Sends a `res`. A client that stopped reading is closed rather than buffered without bound. */
  respond(id: string, result: { ok: true; payload: unknown } | { ok: false; error: ErrorShape }): void {
    if (this.overBuffered()) return this.closeSlow();
    const frame = result.ok
      ? { type: "res", id, ok: true, payload: result.payload }
      : { type: "res", id, ok: false, error: result.error };
    this.sendText(JSON.stringify(frame));
  }

  /** A targeted event: no seq (spec §1.8). */
  sendEvent(event: string, payload: unknown): boolean {
    if (this.overBuffered()) {
      this.closeSlow();
      return false;
    }
    return this.sendText(JSON.stringify({ type: "event", event, payload }));
  }

  /**
   * A broadcast event, with this connection's next seq. `payloadJson` is serialized once by the
   * caller for all connections. Over `maxBufferedBytes`, a droppable event is skipped (the seq
   * still advances, so the client sees the gap) and any other event closes 1008 "slow consumer".
   */
  broadcast(event: string, payloadJson: string, droppable: boolean, stateVersion?: StateVersion): Delivery {
    const seq = ++this.seq;
    if (this.overBuffered()) {
      if (droppable) return "dropped";
      this.closeSlow();
      return "closed";
    }
    const sv = stateVersion ? `,"stateVersion":${JSON.stringify(stateVersion)}` : "";
    const text = `{"type":"event","event":${JSON.stringify(event)},"payload":${payloadJson},"seq":${seq}${sv}}`;
    return this.sendText(text) ? "sent" : "closed";
  }

  /** Skips one broadcast for this client (the send budget is spent): its seq advances, so it sees the gap. */
  skip(): "dropped" {
    this.seq += 1;
    return "dropped";
  }

  /** Sends a close frame (reason capped at 120 bytes), then destroys the socket if the peer stalls. */
  close(code: number, reason: string): void {
    if (this.state === "closing" || this.state === "closed") return;
    this.state = "closing";
    clearTimeout(this.handshakeTimer);
    try {
      this.ws.close(code, capReason(reason));
    } catch {
      this.ws.terminate();
    }
    this.graceTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    this.graceTimer.unref();
  }

  /**
   * Closes a client that stopped reading (1008 "slow consumer"). `now`: destroy the socket at
   * once, for the total budget, where a close frame would queue behind the bytes to release.
   */
  closeSlow(now = false): void {
    this.slowConsumer = true;
    this.close(CLOSE.policy, "slow consumer");
    if (now) this.ws.terminate();
  }

  /** Sends a ping; a connection that did not answer the previous one is terminated. */
  keepalive(): void {
    if (this.state === "closed") return;
    if (!this.alive) {
      this.close(CLOSE.goingAway, "ping timeout");
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  private overBuffered(): boolean {
    return this.ws.bufferedAmount > this.maxBufferedBytes;
  }

  private sendText(text: string): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (!this.corked && !this.socket.destroyed) {
      // Frames sent in one tick leave in one write. Without this, a burst (many runs' events to
      // many clients) costs one syscall per frame. ws has no cork of its own; the socket is the
      // one the upgrade event handed us, and ws's own cork/uncork pairs on it nest with ours.
      const socket = this.socket;
      socket.cork();
      this.corked = true;
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    this.ws.send(text);
    return true;
  }

  private dispose(): void {
    // A client that left while far behind held a send buffer worth handing back too.
    if (this.ws.bufferedAmount > SLOW_RELEASE_BYTES) this.slowConsumer = true;
    this.state = "closed";
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.graceTimer);
    this.controller.abort(new Error("connection closed"));
  }
}

/** Truncates a close reason to the byte cap without splitting a UTF-8 character. */
export function capReason(reason: string): string {
  const buf = Buffer.from(reason, "utf8");
  if (buf.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let end = MAX_CLOSE_REASON_BYTES;
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return buf.subarray(0, end).toString("utf8");
}
