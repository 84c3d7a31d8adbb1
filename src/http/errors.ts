// Keel errors → HTTP replies: the status from the one error table, headers that status implies.
import { GatewayError, httpStatusOf } from "../protocol/errors.js";
import type { Reply } from "./types.js";

/** How a surface words its error body (OpenAI's, hooks', the probes' shape differ). */
export type ErrorBody = (err: GatewayError, status: number) => unknown;

const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  429: "rate_limited",
  500: "server_error",
  502: "upstream_error",
  503: "unavailable",
  504: "timeout",
};

/** The default body: `{error: {message, type, code?}}` (`code` is `details.code`). */
export const defaultErrorBody: ErrorBody = (err, status) => {
  const code = err.details?.["code"];
  return {
    error: {
      message: err.message,
      type: TYPE_BY_STATUS[status] ?? "error",
      ...(typeof code === "string" ? { code } : {}),
    },
  };
};

/** A JSON reply; `cache-control: no-store` because every answer here is live state. */
export function jsonReply(status: number, body: unknown, headers: Reply["headers"] = {}): Reply {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The reply for a thrown error. A GatewayError gets its mapped status, plus `www-authenticate`
 * on 401, `allow` on 405 (from `details.allow`) and `retry-after` when it carries
 * `retryAfterMs`. Anything else is a bug in a handler: a bare 500 that reveals nothing.
 */
export function errorReply(err: unknown, body: ErrorBody = defaultErrorBody): Reply {
  if (!(err instanceof GatewayError)) {
    return jsonReply(500, { error: { message: "internal error", type: "server_error" } });
  }
  const status = httpStatusOf(err);
  const headers: Record<string, string | number> = {};
  if (status === 401) headers["www-authenticate"] = "Bearer";
  const allow = err.details?.["allow"];
  if (status === 405 && Array.isArray(allow)) headers["allow"] = allow.join(", ");
  if (err.retryAfterMs !== undefined)
    headers["retry-after"] = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
  // A 413 leaves the rest of the body unread on the socket; it must not be parsed as a request.
  if (status === 413) headers["connection"] = "close";
  return jsonReply(status, body(err, status), headers);
}
