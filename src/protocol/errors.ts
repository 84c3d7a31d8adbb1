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

/**
 * One row per code: whether a client may retry as-is (the default when an error says nothing),
 * and the HTTP status the code maps to on an HTTP surface. Read through `GatewayError.retryable`
 * and `httpStatusOf`; nothing else decides either.
 */
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

/**
 * `details.code` values that refine a code's HTTP status. Looked up after the code's own row:
 * an `INVALID_REQUEST` that is an auth failure is a 401, not a 400. Every `AUTH_*` code not
 * listed here is a 401 (see `httpStatusOf`).
 */
export const DETAIL_HTTP_STATUS: Readonly<Record<string, number>> = {
  AUTH_RATE_LIMITED: 429,
  RATE_LIMITED: 429,
  BODY_TOO_LARGE: 413,
  METHOD_NOT_ALLOWED: 405,
  ORIGIN_NOT_ALLOWED: 403,
  PROVIDER_ERROR: 502,
};

/** Longest piece of client input an error message quotes (a key, a method name, a path). */
export const ECHO_MAX_CHARS = 120;
/** Longest error message (and string detail) put on the wire; longer ones end in "…". */
export const MESSAGE_MAX_CHARS = 1_024;

/**
 * A short prefix of `text` for an error message: a client that sends a 5 MB key must not get a
 * 5 MB error back (nor put one in the log).
 */
export function clip(text: string, max = ECHO_MAX_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

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
  readonly retryAfterMs?: number;
  /** Set only when the thrower said so; the wire carries `retryable` only then. */
  private readonly explicitRetryable: boolean | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
    this.explicitRetryable = options.retryable;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** Whether retrying as-is may succeed: what the thrower said, else the code's default. */
  get retryable(): boolean {
    return this.explicitRetryable ?? ERROR_TABLE[this.code].retryable;
  }

  /**
   * The wire shape. `retryable` appears only when set explicitly, never from the table's
   * default: the reference's error frames (spec/wire, e.g. FORBIDDEN `MISSING_SCOPE`,
   * `INVALID_REQUEST "unknown method"`) carry no `retryable`, and a strict client compares them.
   */
  toShape(): ErrorShape {
    // The backstop for every message: whatever a handler quoted, the wire carries a bounded prefix.
    const shape: ErrorShape = { code: this.code, message: clip(this.message, MESSAGE_MAX_CHARS) };
    if (this.details !== undefined) shape.details = clipDetails(this.details);
    if (this.explicitRetryable !== undefined) shape.retryable = this.explicitRetryable;
    if (this.retryAfterMs !== undefined) shape.retryAfterMs = this.retryAfterMs;
    return shape;
  }
}

/** Top-level string details clipped like the message (they often quote the request: runId, provider). */
function clipDetails(details: Record<string, unknown>): Record<string, unknown> {
  const long = Object.values(details).some((v) => typeof v === "string" && v.length > MESSAGE_MAX_CHARS);
  if (!long) return details;
  return Object.fromEntries(
    Object.entries(details).map(([k, v]) => [k, typeof v === "string" ? clip(v, MESSAGE_MAX_CHARS) : v]),
  );
}

/**
 * The HTTP status for an error: `details.code` refines the code's row in ERROR_TABLE (auth
 * failures 401, rate limits 429, body too large 413, provider failures 502). Each surface still
 * writes its own body shape.
 */
export function httpStatusOf(err: Pick<ErrorShape, "code" | "details">): number {
  const detail = err.details?.["code"];
  if (typeof detail === "string") {
    const refined = DETAIL_HTTP_STATUS[detail];
    if (refined !== undefined) return refined;
    if (detail.startsWith("AUTH_")) return 401;
  }
  return ERROR_TABLE[err.code].httpStatus;
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
