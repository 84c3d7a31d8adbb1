// One connect attempt: open the socket, wait for the challenge, send `connect`, read hello-ok.
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import type { ConnectParams, EventFrame, HelloOk, ResponseFrame } from "../protocol/frames.js";
import {
  ClientError,
  type ClientErrorKind,
  type ConnectStage,
  describeErrno,
  RequestError,
} from "./errors.js";

/** A frame from the gateway, after parsing (anything else is a protocol error). */
export type InboundFrame = ResponseFrame | EventFrame;

/** A socket that completed `connect`; frames after hello-ok wait in a queue until `attach`. */
export interface OpenSocket {
  ws: WebSocket;
  hello: HelloOk;
  /**
   * Hands the socket to its owner. Frames that arrived right behind hello-ok (ws may emit several
   * messages in one tick) are delivered first, so no event is lost in the handover.
   */
  attach(onFrame: (frame: InboundFrame) => void, onClose: (code: number, reason: string) => void): void;
}

export interface AttemptOptions {
  url: string;
  /** Builds the `connect` params (called once the challenge arrived). */
  params: () => ConnectParams;
  /** Absolute time (Date.now()) by which hello-ok must have arrived. */
  deadline: number;
  /** Aborts the attempt (client closed). */
  signal?: AbortSignal;
}

/** Parses one text frame; undefined when it is not a gateway frame. */
export function parseFrame(data: WebSocket.RawData): InboundFrame | undefined {
  let f: unknown;
  try {
    f = JSON.parse(
      Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.from(data as ArrayBuffer).toString(),
    );
  } catch {
    return undefined;
  }
  if (f === null || typeof f !== "object") return undefined;
  const t = (f as { type?: unknown }).type;
  if (t === "res" && typeof (f as { id?: unknown }).id === "string") return f as ResponseFrame;
  if (t === "event" && typeof (f as { event?: unknown }).event === "string") return f as EventFrame;
  return undefined;
}

/**
 * Runs one connect attempt. Resolves with the open socket, or rejects with a RequestError (the
 * gateway refused `connect`, e.g. startup-sidecars or bad token) or a ClientError (transport).
 */
export function connectOnce(options: AttemptOptions): Promise<OpenSocket> {
  return new Promise((resolve, reject) => new ConnectAttempt(options, resolve, reject));
}

/** One socket from open to hello-ok (or failure); after success it hands frames to the owner. */
class ConnectAttempt {
  private stage: ConnectStage = "socket";
  private settled = false;
  private refusal: RequestError | undefined;
  private socketError: Error | undefined;
  /** Frames and a close that arrive after hello-ok but before the owner attached. */
  private readonly early: InboundFrame[] = [];
  private closedEarly: { code: number; reason: string } | undefined;
  private owner: ((f: InboundFrame) => void) | undefined;
  private ownerClose: ((code: number, reason: string) => void) | undefined;
  private readonly connectId = `1:${randomUUID()}`;
  private readonly ws: WebSocket;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = () =>
    this.fail(new ClientError("closed", "client closed", { stage: this.stage }));

  constructor(
    private readonly options: AttemptOptions,
    private readonly resolve: (s: OpenSocket) => void,
    private readonly reject: (err: Error) => void,
  ) {
    const remaining = Math.max(1, options.deadline - Date.now());
    this.ws = new WebSocket(options.url, { perMessageDeflate: false, handshakeTimeout: remaining });
    this.timer = setTimeout(() => this.timedOut(), remaining);
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
    if (options.signal?.aborted) {
      this.onAbort();
      return;
    }
    this.ws.on("open", () => {
      this.stage = "challenge";
    });
    this.ws.on("error", (err) => {
      this.socketError = err;
    });
    this.ws.on("message", (data) => this.onMessage(parseFrame(data)));
    this.ws.on("close", (code, reason) => this.onClose(code, reason.toString()));
  }

  private timedOut(): void {
    const what =
      this.stage === "socket"
        ? "the WebSocket did not open"
        : this.stage === "challenge"
          ? "the gateway sent no challenge"
          : "the gateway did not answer connect";
    this.fail(new ClientError("timeout", `timed out: ${what}`, { stage: this.stage }));
  }

  private onMessage(frame: InboundFrame | undefined): void {
    if (this.settled) {
      if (frame) {
        if (this.owner) this.owner(frame);
        else this.early.push(frame);
      }
      return;
    }
    if (!frame) {
      this.fail(
        new ClientError("protocol", "the gateway sent a frame that is not JSON", { stage: this.stage }),
      );
      return;
    }
    if (this.stage === "challenge" && frame.type === "event" && frame.event === "connect.challenge") {
      this.stage = "hello";
      const req = { type: "req", id: this.connectId, method: "connect", params: this.options.params() };
      this.ws.send(JSON.stringify(req));
      return;
    }
    if (frame.type !== "res" || frame.id !== this.connectId) return;
    if (!frame.ok) {
      // The gateway closes right after a refusal; report the refusal, not the close.
      this.refusal = new RequestError(
        "connect",
        frame.error ?? { code: "UNAVAILABLE", message: "connect refused" },
      );
      this.fail(this.refusal);
      return;
    }
    const hello = frame.payload as HelloOk | undefined;
    if (hello?.type !== "hello-ok") {
      this.fail(new ClientError("protocol", "connect answered without hello-ok", { stage: this.stage }));
      return;
    }
    this.succeed(hello);
  }

  private succeed(hello: HelloOk): void {
    this.settled = true;
    this.stage = "open";
    this.cleanup();
    this.resolve({
      ws: this.ws,
      hello,
      attach: (onFrame, onClose) => {
        this.owner = onFrame;
        this.ownerClose = onClose;
        for (const f of this.early.splice(0)) onFrame(f);
        if (this.closedEarly) onClose(this.closedEarly.code, this.closedEarly.reason);
      },
    });
  }

  private onClose(code: number, reason: string): void {
    if (this.settled) {
      if (this.ownerClose) this.ownerClose(code, reason);
      else this.closedEarly = { code, reason };
      return;
    }
    if (this.refusal) return this.fail(this.refusal);
    if (this.stage === "socket" || this.socketError) {
      return this.fail(transportError(this.socketError, this.stage, this.options.url));
    }
    this.fail(ClientError.closed(code, reason, this.stage));
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.cleanup();
    this.ws.removeAllListeners("message");
    // Keep an error listener: ws emits late errors on a terminated socket.
    this.ws.on("error", () => {});
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    this.reject(err);
  }

  private cleanup(): void {
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener("abort", this.onAbort);
  }
}

/** A socket error before the WebSocket opened, in words ("connection refused", "HTTP 503"). */
function transportError(err: Error | undefined, stage: ConnectStage, url: string): ClientError {
  const errno = errnoOf(err);
  const http = /Unexpected server response: (\d+)/.exec(err?.message ?? "");
  if (http) {
    const status = Number(http[1]);
    return new ClientError(
      "unreachable",
      `the server at ${url} refused the WebSocket upgrade (HTTP ${status})`,
      {
        stage,
        httpStatus: status,
        cause: err,
      },
    );
  }
  const kind: ClientErrorKind = errno === "ETIMEDOUT" ? "timeout" : "unreachable";
  const message = errno ? describeErrno(errno) : (err?.message ?? "network error");
  return new ClientError(kind, message, { stage, ...(errno ? { errno } : {}), cause: err });
}

/** The errno code of a socket error; Node's happy-eyeballs wraps several in an AggregateError. */
function errnoOf(err: unknown): string | undefined {
  if (!err || typeof err !== "object") return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const inner = (err as { errors?: unknown[] }).errors;
  return Array.isArray(inner) ? errnoOf(inner[0]) : undefined;
}
