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
  return new Promise((resolve, reject) => {
    let stage: ConnectStage = "socket";
    let settled = false;
    let refusal: RequestError | undefined;
    let socketError: Error | undefined;
    const early: InboundFrame[] = [];
    let owner: ((f: InboundFrame) => void) | undefined;
    let ownerClose: ((code: number, reason: string) => void) | undefined;
    let closedEarly: { code: number; reason: string } | undefined;
    const connectId = `1:${randomUUID()}`;

    const remaining = Math.max(1, options.deadline - Date.now());
    const ws = new WebSocket(options.url, { perMessageDeflate: false, handshakeTimeout: remaining });

    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      ws.removeAllListeners("message");
      // Keep an error listener: ws emits late errors on a terminated socket.
      ws.on("error", () => {});
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
      reject(err);
    };
    const timer = setTimeout(() => {
      const what =
        stage === "socket"
          ? "the WebSocket did not open"
          : stage === "challenge"
            ? "the gateway sent no challenge"
            : "the gateway did not answer connect";
      fail(new ClientError("timeout", `timed out: ${what}`, { stage }));
    }, remaining);
    const onAbort = () => fail(new ClientError("closed", "client closed", { stage }));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    if (options.signal?.aborted) return onAbort();

    ws.on("open", () => {
      stage = "challenge";
    });
    ws.on("error", (err) => {
      socketError = err;
    });
    ws.on("message", (data) => {
      const frame = parseFrame(data);
      if (settled) {
        if (frame) {
          if (owner) owner(frame);
          else early.push(frame);
        }
        return;
      }
      if (!frame)
        return fail(new ClientError("protocol", "the gateway sent a frame that is not JSON", { stage }));
      if (stage === "challenge" && frame.type === "event" && frame.event === "connect.challenge") {
        stage = "hello";
        ws.send(JSON.stringify({ type: "req", id: connectId, method: "connect", params: options.params() }));
        return;
      }
      if (frame.type !== "res" || frame.id !== connectId) return;
      if (!frame.ok) {
        // The gateway closes right after a refusal; report the refusal, not the close.
        refusal = new RequestError(
          "connect",
          frame.error ?? { code: "UNAVAILABLE", message: "connect refused" },
        );
        return fail(refusal);
      }
      const hello = frame.payload as HelloOk | undefined;
      if (hello?.type !== "hello-ok") {
        return fail(new ClientError("protocol", "connect answered without hello-ok", { stage }));
      }
      settled = true;
      stage = "open";
      cleanup();
      resolve({
        ws,
        hello,
        attach(onFrame, onClose) {
          owner = onFrame;
          ownerClose = onClose;
          for (const f of early.splice(0)) onFrame(f);
          if (closedEarly) onClose(closedEarly.code, closedEarly.reason);
        },
      });
    });
    ws.on("close", (code, reasonBuf) => {
      const reason = reasonBuf.toString();
      if (settled) {
        if (ownerClose) ownerClose(code, reason);
        else closedEarly = { code, reason };
        return;
      }
      if (refusal) return fail(refusal);
      if (stage === "socket" || socketError) return fail(transportError(socketError, stage, options.url));
      fail(ClientError.closed(code, reason, stage));
    });
  });
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
