// What can go wrong for a client: the gateway's typed answer (RequestError) or the transport (ClientError).
import { type ErrorCode, type ErrorShape, GatewayError } from "../protocol/errors.js";
import { describeClose } from "./close-codes.js";

/**
 * The gateway answered `ok:false`. Keeps the wire error whole (`code`, `message`, `details`,
 * `retryable`, `retryAfterMs`) and names the method, so a caller can decide on `details.code`.
 */
export class RequestError extends GatewayError {
  readonly method: string;

  constructor(method: string, shape: ErrorShape) {
    const code = (typeof shape?.code === "string" ? shape.code : "UNAVAILABLE") as ErrorCode;
    const message = typeof shape?.message === "string" ? shape.message : "error without a message";
    super(code, message, {
      ...(isRecord(shape?.details) ? { details: shape.details } : {}),
      ...(typeof shape?.retryable === "boolean" ? { retryable: shape.retryable } : {}),
      ...(typeof shape?.retryAfterMs === "number" ? { retryAfterMs: shape.retryAfterMs } : {}),
    });
    this.name = "RequestError";
    this.method = method;
  }

  /** `details.code` when the gateway sent one (`AUTH_TOKEN_MISMATCH`, `MISSING_SCOPE`, …). */
  get detailCode(): string | undefined {
    const c = this.details?.["code"];
    return typeof c === "string" ? c : undefined;
  }
}

/**
 * Why the transport failed:
 * - `unreachable`: no WebSocket (refused, unknown host, HTTP refusal of the upgrade);
 * - `timeout`: the connect budget or a request's timeout ran out;
 * - `closed`: the socket closed (by the gateway, the network, or the tick watchdog);
 * - `protocol`: the gateway sent something this client cannot read.
 */
export type ClientErrorKind = "unreachable" | "timeout" | "closed" | "protocol";

/** How far a connect got: useful to tell "nothing there" from "a gateway that did not answer". */
export type ConnectStage = "socket" | "challenge" | "hello" | "open";

export interface ClientErrorOptions {
  stage?: ConnectStage;
  closeCode?: number;
  closeReason?: string;
  /** errno-style code of the socket error (`ECONNREFUSED`, `ENOTFOUND`, …). */
  errno?: string;
  /** HTTP status when the upgrade itself was refused. */
  httpStatus?: number;
  cause?: unknown;
}

/** A transport failure. `message` is one plain sentence; the fields say exactly what happened. */
export class ClientError extends Error {
  readonly kind: ClientErrorKind;
  readonly stage: ConnectStage | undefined;
  readonly closeCode: number | undefined;
  readonly closeReason: string | undefined;
  readonly errno: string | undefined;
  readonly httpStatus: number | undefined;

  constructor(kind: ClientErrorKind, message: string, options: ClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ClientError";
    this.kind = kind;
    this.stage = options.stage;
    this.closeCode = options.closeCode;
    this.closeReason = options.closeReason;
    this.errno = options.errno;
    this.httpStatus = options.httpStatus;
  }

  /** A socket that closed, with the close code explained in words. */
  static closed(code: number, reason: string, stage: ConnectStage): ClientError {
    return new ClientError("closed", `connection closed: ${describeClose(code, reason)}`, {
      stage,
      closeCode: code,
      closeReason: reason,
    });
  }
}

/** Plain words for a socket error code (`ECONNREFUSED` → "connection refused"). */
export function describeErrno(errno: string | undefined): string {
  switch (errno) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "unknown host";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "ECONNRESET":
      return "connection reset";
    case "ETIMEDOUT":
      return "connection timed out";
    case undefined:
      return "network error";
    default:
      return errno;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
