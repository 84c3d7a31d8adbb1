// Errors in OpenAI's shape ({error:{message, type, param, code}}) and a run's failure as one of them.
import type { ErrorBody } from "../http/errors.js";
import { GatewayError, invalidRequest } from "../protocol/errors.js";

/** OpenAI's `error.type` for a status: what its SDKs and clients branch on besides the status. */
function typeOf(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** `error.code` for Keel's own detail codes where OpenAI has a word for it. */
const CODE_WORDS: Readonly<Record<string, string>> = {
  AUTH_TOKEN_MISSING: "missing_api_key",
  AUTH_PASSWORD_MISSING: "missing_api_key",
  AUTH_TOKEN_MISMATCH: "invalid_api_key",
  AUTH_PASSWORD_MISMATCH: "invalid_api_key",
  AUTH_RATE_LIMITED: "rate_limit_exceeded",
};

/**
 * The /v1 error body. `param` names the request field at fault (details.param); `code` is the
 * surface's own code (details.openaiCode), else the Keel detail code in OpenAI's lower-case words.
 */
export const openaiErrorBody: ErrorBody = (err, status) => {
  const d = err.details ?? {};
  const detail = typeof d["code"] === "string" ? d["code"] : undefined;
  const code =
    typeof d["openaiCode"] === "string"
      ? d["openaiCode"]
      : detail && (CODE_WORDS[detail] ?? detail.toLowerCase());
  return {
    error: {
      message: err.message,
      type: typeOf(status),
      param: typeof d["param"] === "string" ? d["param"] : null,
      // An UNAVAILABLE says why in details.reason (overloaded, startup-sidecars, gateway-closing).
      code: code ?? (typeof d["reason"] === "string" ? d["reason"] : status === 404 ? "not_found" : null),
    },
  };
};

/** A 400 naming the request field at fault (`param`, in OpenAI's dotted form: `messages[0].role`). */
export function badField(param: string, message: string, openaiCode?: string): GatewayError {
  return invalidRequest(`${param}: ${message}`, { param, ...(openaiCode ? { openaiCode } : {}) });
}

/** A JSON pointer (`/messages/0/role`) as OpenAI's dotted param (`messages[0].role`). */
export function paramOf(pointer: string): string {
  let out = "";
  for (const seg of pointer.split("/").filter(Boolean))
    out += /^\d+$/.test(seg) ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

/** The terminal failure of a run as its `error` event carries it. */
export interface RunFailure {
  kind: string;
  message: string;
  details: Record<string, unknown>;
}

/**
 * A run's failure as an HTTP error: every candidate cooling or a rate limit is a 429 (an
 * overloaded vendor a 503) with Retry-After; a timeout a 504; a request the model refused as
 * shaped (context length, policy, bad request) a 400; any other provider failure a 502. The
 * kind goes in `code`, except for the all-cooling case, which says so.
 */
export function runFailure(f: RunFailure): GatewayError {
  const cooling = f.details["reason"] === "all_candidates_cooling";
  const retry = f.details["retryAfterMs"];
  const retryAfterMs = typeof retry === "number" && retry > 0 ? retry : undefined;
  const base = { kind: f.kind, openaiCode: cooling ? "all_candidates_cooling" : f.kind };
  const after = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (f.kind === "rate_limit" || (cooling && f.kind !== "overloaded")) {
    return new GatewayError("INVALID_REQUEST", f.message, {
      retryable: true,
      ...after,
      details: { code: "RATE_LIMITED", ...base },
    });
  }
  if (f.kind === "overloaded") {
    return new GatewayError("UNAVAILABLE", f.message, { ...after, details: { code: "OVERLOADED", ...base } });
  }
  if (f.kind === "timeout")
    return new GatewayError("UNAVAILABLE", f.message, { details: { code: "PROVIDER_TIMEOUT", ...base } });
  if (f.kind === "context_length" || f.kind === "content_policy" || f.kind === "bad_request") {
    return invalidRequest(f.message, base);
  }
  if (f.kind === "config" || f.kind === "internal") {
    return new GatewayError("UNAVAILABLE", f.message, { retryable: false, details: base });
  }
  return new GatewayError("UNAVAILABLE", f.message, { details: { code: "PROVIDER_ERROR", ...base } });
}

/** The request outlived gateway.http.maxRequestMs. */
export function requestTimedOut(maxRequestMs: number): GatewayError {
  return runFailure({
    kind: "timeout",
    message: `request took longer than gateway.http.maxRequestMs (${maxRequestMs} ms)`,
    details: {},
  });
}

/** A run that ended aborted while its caller was still there (an operator's abort, shutdown). */
export function runAborted(reason: string): GatewayError {
  return new GatewayError("UNAVAILABLE", `run aborted (${reason})`, {
    details: { reason, openaiCode: "run_aborted" },
  });
}

/** What an error chunk of a started stream carries (the same body as the HTTP error would). */
export function errorChunk(err: GatewayError, status: number): string {
  return `data: ${JSON.stringify(openaiErrorBody(err, status))}\n\n`;
}
