// The OpenAI Responses API's error codes as data, and the classifiers built on classify.ts's generic rules.
import {
  type CallContext,
  type ErrorBody,
  classifyHttpError,
  classifyStreamError,
  parseErrorBody,
} from "./classify.js";
import { ModelError, type ModelErrorKind } from "./types.js";

/**
 * The vendor's own `error.code` values and the kind each means. HTTP error bodies carry
 * `{error:{message,type,code}}`; a `response.failed` event carries `response.error {code,message}`
 * (ResponseError in the official SDK's src/resources/responses/responses.ts); an `error` event
 * carries `{code,message,param}`. A code not listed here falls back to classify.ts (status, then
 * wording).
 */
export const RESPONSES_ERROR_CODES: Readonly<Record<string, ModelErrorKind>> = {
  invalid_api_key: "auth",
  insufficient_quota: "billing",
  billing_hard_limit_reached: "billing",
  rate_limit_exceeded: "rate_limit",
  model_not_found: "model_not_found",
  context_length_exceeded: "context_length",
  content_policy_violation: "content_policy",
  // `invalid_prompt` is what the API answers for a prompt flagged by its usage policy.
  invalid_prompt: "content_policy",
  bio_policy: "content_policy",
  image_content_policy_violation: "content_policy",
  server_error: "server_error",
  vector_store_timeout: "timeout",
  data_residency_mismatch: "bad_request",
  invalid_image: "bad_request",
  invalid_image_format: "bad_request",
  invalid_base64_image: "bad_request",
  invalid_image_url: "bad_request",
  image_too_large: "bad_request",
  image_too_small: "bad_request",
  image_parse_error: "bad_request",
  invalid_image_mode: "bad_request",
  image_file_too_large: "bad_request",
  unsupported_image_media_type: "bad_request",
  empty_image_file: "bad_request",
  failed_to_download_image: "bad_request",
  image_file_not_found: "bad_request",
};

function tableKind(code: string | undefined): ModelErrorKind | undefined {
  return code === undefined ? undefined : RESPONSES_ERROR_CODES[code.toLowerCase()];
}

/** A copy of `err` with another kind (the table knew better than the generic rules). */
function rekind(err: ModelError, kind: ModelErrorKind, message: string): ModelError {
  return new ModelError(kind, message, {
    provider: err.provider,
    model: err.model,
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.code !== undefined ? { code: err.code } : {}),
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    ...(err.url !== undefined ? { url: err.url } : {}),
  });
}

/** Classifies a non-2xx answer: the code table first, then classify.ts's status and wording rules. */
export function classifyResponsesHttpError(
  status: number,
  text: string,
  headers: Headers,
  ctx: CallContext,
): ModelError {
  const generic = classifyHttpError(status, text, headers, ctx);
  const body = parseErrorBody(text);
  const kind = tableKind(body.code);
  // A 404 stays as the status says (wrong path vs missing model); the generic rule reads the code too.
  if (kind === undefined || kind === generic.kind || status === 404) return generic;
  return rekind(
    generic,
    kind,
    `${ctx.provider}/${ctx.model} answered HTTP ${status} (${kind}): ${body.message}`,
  );
}

/**
 * Classifies an error sent inside the 200 stream (`response.failed` or `error`): the code table
 * first, else the wording, else server_error — never an empty success.
 */
export function classifyResponsesStreamError(body: ErrorBody, ctx: CallContext, what: string): ModelError {
  const generic = classifyStreamError(body, ctx);
  const kind = tableKind(body.code) ?? generic.kind;
  const message = `${ctx.provider}/${ctx.model} sent ${what} (${kind}): ${body.message || "no message"}`;
  return rekind(generic, kind, message);
}
