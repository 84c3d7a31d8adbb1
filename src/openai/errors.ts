// Errors in OpenAI's shape ({error:{message, type, param, code}}), over the run failures every HTTP
// surface shares (http/run-failure.ts).
import type { ErrorBody } from "../http/errors.js";
import { ALL_COOLING } from "../models/types.js";
import { type GatewayError, invalidRequest } from "../protocol/errors.js";
import { runAborted } from "../http/run-failure.js";

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
 * surface's own code (details.openaiCode), else a failed run's kind (or `all_candidates_cooling`),
 * else the Keel detail code in OpenAI's lower-case words.
 */
export const openaiErrorBody: ErrorBody = (err, status) => {
  const d = err.details ?? {};
  const detail = typeof d["code"] === "string" ? d["code"] : undefined;
  const kind =
    d["reason"] === ALL_COOLING ? ALL_COOLING : typeof d["kind"] === "string" ? d["kind"] : undefined;
  const code =
    typeof d["openaiCode"] === "string"
      ? d["openaiCode"]
      : (kind ?? (detail && (CODE_WORDS[detail] ?? detail.toLowerCase())));
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

/** A run that ended aborted while its caller was still there (an operator's abort, shutdown). */
export function aborted(reason: string): GatewayError {
  return runAborted(`run aborted (${reason})`, { reason });
}

/** What an error chunk of a started stream carries (the same body as the HTTP error would). */
export function errorChunk(err: GatewayError, status: number): string {
  return `data: ${JSON.stringify(openaiErrorBody(err, status))}\n\n`;
}
