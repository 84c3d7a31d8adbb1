// GatewayClient: connect (with startup retry), requests, events, tick watchdog, opt-in reconnect.
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { SESSION_SCOPED_EVENTS } from "../protocol/caps.js";
import type { HelloOk, ResponseFrame } from "../protocol/frames.js";
import { RECONNECT, reconnectDelay } from "./backoff.js";
import { CLIENT_CLOSE, describeClose } from "./close-codes.js";
import { connectWithin, abortableSleep as sleep } from "./connect.js";
import { ClientError, RequestError } from "./errors.js";
import type { InboundFrame, OpenSocket } from "./handshake.js";
import {
  type ClientStatus,
  connectParams,
  type EventListener,
  type GatewayClientOptions,
  type RequestOptions,
} from "./options.js";

export { SESSION_SCOPED_EVENTS };
export {
  CLIENT_PROTOCOL,
  type ClientStatus,
  connectParams,
  type EventListener,
  type GatewayClientOptions,
  type RequestOptions,
} from "./options.js";

interface Pending {
  method: string;
  resolve: (payload: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  expectFinal: boolean;
  onAccepted: ((payload: unknown) => void) | undefined;
  cleanup: () => void;
}

const DEFAULT_CONNECT_MS = 15_000;
const DEFAULT_REQUEST_MS = 30_000;
/** After our close frame, the peer gets this long to answer before the socket is destroyed. */
const CLOSE_GRACE_MS = 1_000;

/** A connection to one gateway. Create with `GatewayClient.connect`; dispose with `close()` or `await using`. */
export class GatewayClient {
  private ws: WebSocket | undefined;
  private helloOk: HelloOk;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Map<string, Set<EventListener>>();
  private readonly statusListeners = new Set<(s: ClientStatus) => void>();
  private readonly lifetime = new AbortController();
  private nextId = 1;
  private lastSeq: number | undefined;
  private lastFrameAt = 0;
  private watchdog: NodeJS.Timeout | undefined;
  /** Set when we close the socket ourselves, so the close is reported with our code, not 1006. */
  private localClose: { code: number; reason: string } | undefined;
  private closing: Promise<void> | undefined;
  /** The final `closed` notice went out (it is sent once, whoever ended the connection). */
  private ended = false;
  /** Sessions followed with followSession(), by the key asked for: subscribed again after a reconnect. */
  private readonly followed = new Map<string, { key: string; agentId?: string }>();

  private constructor(
    private readonly options: GatewayClientOptions,
    first: OpenSocket,
  ) {
    this.helloOk = first.hello;
    this.adopt(first);
  }

  /**
   * Connects within `connectTimeoutMs`, retrying `startup-sidecars` refusals silently. Rejects
   * with a RequestError (the gateway refused: auth, protocol) or a ClientError (transport).
   */
  static async connect(options: GatewayClientOptions): Promise<GatewayClient> {
    const socket = await connectWithin({
      url: options.url,
      params: () => connectParams(options),
      budgetMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_MS,
    });
    return new GatewayClient(options, socket);
  }

  /** The hello-ok of the current connection (features, snapshot, granted scopes, policy). */
  get hello(): HelloOk {
    return this.helloOk;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN && this.localClose === undefined;
  }

  /**
   * Follows one session (`sessions.messages.subscribe`): its `session.message` events, and with
   * the `session-scoped-events` cap its `chat` and `agent` events, reach this client. The gateway
   * drops a socket's subscriptions when it closes, so a reconnecting client subscribes again.
   * Resolves with the gateway's canonical key (`main` → `agent:main:main`).
   */
  async followSession(key: string, agentId?: string): Promise<string> {
    const target = { key, ...(agentId === undefined ? {} : { agentId }) };
    const res = await this.request<{ key: string }>("sessions.messages.subscribe", target);
    this.followed.set(key, target);
    return res.key;
  }

  /** Stops following a session. */
  async unfollowSession(key: string, agentId?: string): Promise<void> {
    this.followed.delete(key);
    await this.request("sessions.messages.unsubscribe", {
      key,
      ...(agentId === undefined ? {} : { agentId }),
    });
  }

  /** Sends a request; resolves with the payload, rejects with RequestError or ClientError. */
  request<T = unknown>(method: string, params?: unknown, options: RequestOptions = {}): Promise<T> {
    const ws = this.ws;
    if (!ws || !this.connected) {
      return Promise.reject(new ClientError("closed", `${method}: not connected to the gateway`));
    }
    const id = `${++this.nextId}:${randomUUID()}`;
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? DEFAULT_REQUEST_MS;
    return new Promise<T>((resolve, reject) => {
      const { signal } = options;
      const onAbort = () => this.settle(id, undefined, signal?.reason ?? new Error("aborted"));
      const timer = setTimeout(() => {
        const err = new ClientError(
          "timeout",
          `${method}: no answer from the gateway within ${timeoutMs} ms`,
        );
        this.settle(id, undefined, err);
      }, timeoutMs);
      this.pending.set(id, {
        method,
        resolve: resolve as (p: unknown) => void,
        reject,
        timer,
        expectFinal: options.expectFinal === true,
        onAccepted: options.onAccepted,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      const frame = { type: "req", id, method, ...(params === undefined ? {} : { params }) };
      ws.send(JSON.stringify(frame), (err) => {
        if (err)
          this.settle(id, undefined, new ClientError("closed", `${method}: send failed (${err.message})`));
      });
    });
  }

  /** Subscribes to a gateway event (`"*"` for all). Returns the unsubscribe function. */
  on(event: string, listener: EventListener): () => void {
    const set = this.listeners.get(event) ?? new Set<EventListener>();
    this.listeners.set(event, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(event);
    };
  }

  /** Subscribes to lifecycle notices (disconnect, reconnect, seq gap, final close). */
  onStatus(listener: (status: ClientStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Closes the connection and stops reconnecting; pending requests reject. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.lifetime.abort(new ClientError("closed", "client closed"));
      this.stopWatchdog();
      this.rejectAll(new ClientError("closed", "client closed"));
      const ws = this.ws;
      if (ws && ws.readyState !== WebSocket.CLOSED) {
        this.localClose = { code: CLIENT_CLOSE.normal, reason: "client closed" };
        await new Promise<void>((resolve) => {
          const grace = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
          ws.once("close", () => {
            clearTimeout(grace);
            resolve();
          });
          ws.close(CLIENT_CLOSE.normal, "client closed");
        });
      }
      this.end();
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private adopt(socket: OpenSocket): void {
    this.ws = socket.ws;
    this.helloOk = socket.hello;
    this.localClose = undefined;
    this.lastSeq = undefined;
    this.lastFrameAt = Date.now();
    socket.ws.on("error", () => {
      // Errors are followed by `close`, which is where they are handled.
    });
    socket.attach(
      (frame) => this.onFrame(frame),
      (code, reason) => this.onSocketClose(socket.ws, code, reason),
    );
    this.armWatchdog();
  }

  private onFrame(frame: InboundFrame): void {
    this.lastFrameAt = Date.now();
    if (frame.type === "res") {
      this.onResponse(frame);
      return;
    }
    if (typeof frame.seq === "number") {
      if (this.lastSeq !== undefined && frame.seq > this.lastSeq + 1) {
        this.emit({ type: "gap", expected: this.lastSeq + 1, received: frame.seq });
      }
      this.lastSeq = frame.seq;
    }
    for (const key of [frame.event, "*"]) {
      for (const listener of this.listeners.get(key) ?? []) {
        try {
          listener(frame.payload, frame);
        } catch (error) {
          this.emit({ type: "listener-error", error });
        }
      }
    }
  }

  private onResponse(frame: ResponseFrame): void {
    const p = this.pending.get(frame.id);
    if (!p) return; // a late answer to a request that timed out or was aborted
    if (frame.ok) {
      const status = (frame.payload as { status?: unknown } | null | undefined)?.status;
      if (p.expectFinal && status === "accepted") {
        p.onAccepted?.(frame.payload);
        return;
      }
      this.settle(frame.id, frame.payload);
    } else {
      this.settle(frame.id, undefined, new RequestError(p.method, frame.error ?? ({} as never)));
    }
  }

  private settle(id: string, payload: unknown, err?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.cleanup();
    if (err) p.reject(err);
    else p.resolve(payload);
  }

  private rejectAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, err);
  }

  private onSocketClose(ws: WebSocket, wireCode: number, wireReason: string): void {
    if (ws !== this.ws) return;
    const { code, reason } = this.localClose ?? { code: wireCode, reason: wireReason };
    this.stopWatchdog();
    this.rejectAll(ClientError.closed(code, reason, "open"));
    if (this.closing) return;
    const willReconnect = this.options.reconnect !== undefined && this.options.reconnect !== false;
    const explanation = describeClose(code, reason);
    this.emit({ type: "disconnected", code, reason, explanation, willReconnect });
    if (willReconnect) void this.reconnectLoop();
    else this.end(ClientError.closed(code, reason, "open"));
  }

  private async reconnectLoop(): Promise<void> {
    const r = typeof this.options.reconnect === "object" ? this.options.reconnect : {};
    const signal = this.lifetime.signal;
    for (let attempt = 1; !signal.aborted; attempt++) {
      const delayMs = reconnectDelay(attempt, r.initialMs ?? RECONNECT.initialMs, r.maxMs ?? RECONNECT.maxMs);
      this.emit({ type: "reconnecting", attempt, delayMs });
      if (!(await sleep(delayMs, signal))) return;
      try {
        const socket = await connectWithin({
          url: this.options.url,
          params: () => connectParams(this.options),
          budgetMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_MS,
          signal,
        });
        if (signal.aborted) {
          socket.ws.terminate();
          return;
        }
        this.adopt(socket);
        this.refollow();
        this.emit({ type: "connected", hello: socket.hello });
        return;
      } catch (err) {
        // A refusal that retrying cannot fix (bad token, protocol mismatch): stop and say why.
        if (err instanceof RequestError && err.retryable !== true) {
          this.closing ??= Promise.resolve();
          this.end(err);
          return;
        }
      }
    }
  }

  /** Subscribes the new socket to every followed session (a failure is the caller's to notice on status). */
  private refollow(): void {
    for (const target of this.followed.values()) {
      this.request("sessions.messages.subscribe", target).catch(() => {});
    }
  }

  /**
   * Tick watchdog: the gateway broadcasts `tick` every policy.tickIntervalMs; two silent intervals
   * mean a stalled connection that TCP may not notice for minutes, so we close it ourselves (4000).
   * Any frame counts as life, not only ticks.
   */
  private armWatchdog(): void {
    const tickMs = this.helloOk.policy?.tickIntervalMs;
    if (typeof tickMs !== "number" || !(tickMs > 0)) return;
    const limit = 2 * tickMs;
    const check = () => {
      const silent = Date.now() - this.lastFrameAt;
      if (silent < limit) {
        this.watchdog = setTimeout(check, limit - silent);
        this.watchdog.unref();
        return;
      }
      this.dropSocket(CLIENT_CLOSE.tickTimeout, "tick timeout");
    };
    this.watchdog = setTimeout(check, limit);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  /** Closes the current socket with our own code; the close handler then reports it. */
  private dropSocket(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws || this.localClose) return;
    this.localClose = { code, reason };
    ws.close(code, reason);
    // A stalled peer will not answer the close frame: don't wait for it.
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  private end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.emit(error ? { type: "closed", error } : { type: "closed" });
  }

  private emit(status: ClientStatus): void {
    for (const l of this.statusListeners) {
      try {
        l(status);
      } catch {
        // A broken status listener must not stop the client's own bookkeeping.
      }
    }
  }
}
