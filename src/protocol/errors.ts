// Wire error codes, the one GatewayError type, and the normalizer for unknown throws.

/** The closed set of wire error codes (OpenClaw protocol v4). */
export const ERROR_CODES = [
  "INVALID_REQUEST",
  "UNAVAILABLE",
  "FORBIDDEN",
  "NOT_FOUND",
  "NOT_PAIRED",
  "NOT_LINKED",
  "AGENT_TIMEOUT",
  "APPROVAL_NOT_FOUND",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One row per code: whether a client may retry as-is, and the HTTP status it maps to. */
export const ERROR_TABLE: Readonly<Record<ErrorCode, { retryable: boolean; httpStatus: number }>> = {
  INVALID_REQUEST: { retryable: false, httpStatus: 400 },
  UNAVAILABLE: { retryable: true, httpStatus: 503 },
  FORBIDDEN: { retryable: false, httpStatus: 403 },
  NOT_FOUND: { retryable: false, httpStatus: 404 },
  NOT_PAIRED: { retryable: false, httpStatus: 403 },
  NOT_LINKED: { retryable: false, httpStatus: 409 },
  AGENT_TIMEOUT: { retryable: true, httpStatus: 504 },
  APPROVAL_NOT_FOUND: { retryable: false, httpStatus: 404 },
};

/** The error shape on the wire: `{code, message, details?, retryable?, retryAfterMs?}` (closed). */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  retryable?: boolean;
  retryAfterMs?: number;
}

export interface GatewayErrorOptions {
  details?: Record<string, unknown>;
  retryable?: boolean;
  retryAfterMs?: number;
  cause?: unknown;
}

/** The one error type handlers throw; dispatch turns it into a wire error exactly once. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  readonly retryable?: boolean;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
    if (options.retryable !== undefined) this.retryable = options.retryable;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  toShape(): ErrorShape {
    const shape: ErrorShape = { code: this.code, message: this.message };
    if (this.details !== undefined) shape.details = this.details;
    if (this.retryable !== undefined) shape.retryable = this.retryable;
    if (this.retryAfterMs !== undefined) shape.retryAfterMs = this.retryAfterMs;
    return shape;
  }
}

/** Handler exceptions that are not GatewayErrors become a retryable `UNAVAILABLE` (spec §1.6). */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new GatewayError("UNAVAILABLE", `internal error: ${message}`, { retryable: true, cause: err });
}

/** Shorthand for the common `INVALID_REQUEST`. */
export function invalidRequest(message: string, details?: Record<string, unknown>): GatewayError {
  return new GatewayError("INVALID_REQUEST", message, details === undefined ? {} : { details });
}

/** A retryable `UNAVAILABLE` with a reason (`startup-sidecars`, `gateway-closing`, `overloaded`, …). */
export function unavailable(
  message: string,
  reason: string,
  retryAfterMs?: number,
  extra: Record<string, unknown> = {},
): GatewayError {
  return new GatewayError("UNAVAILABLE", message, {
    retryable: true,
    details: { reason, ...extra },
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}
