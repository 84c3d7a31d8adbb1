// OpenAI's error codes as data: `error.code` (else `error.type`) of an OpenAI-shaped body → ModelError kind.
import { type CallContext, classifyHttpError, type ErrorCodeTable } from "./classify.js";
import type { ModelError } from "./types.js";

/**
 * Codes OpenAI and the servers that copy its error shape (Azure OpenAI, vLLM, LiteLLM) send, per
 * https://platform.openai.com/docs/guides/error-codes. A listed code wins over the status: OpenAI
 * answers an empty quota with 429 `insufficient_quota`, which is billing, not a rate limit.
 * Codes not listed (and types such as `invalid_request_error` or `server_error`, which name a
 * class rather than a cause) fall back to the generic status-and-wording rules in classify.ts.
 */
export const OPENAI_ERROR_CODES: ErrorCodeTable = {
  insufficient_quota: "billing",
  billing_hard_limit_reached: "billing",
  billing_not_active: "billing",
  invalid_api_key: "auth",
  account_deactivated: "auth",
  unsupported_country_region_territory: "auth",
  model_not_found: "model_not_found",
  context_length_exceeded: "context_length",
  rate_limit_exceeded: "rate_limit",
  content_filter: "content_policy",
  content_policy_violation: "content_policy",
  invalid_prompt: "content_policy",
};

/** The HttpClassifier for OpenAI-shaped error answers (non-2xx). */
export function classifyOpenAIHttp(
  status: number,
  text: string,
  headers: Headers,
  ctx: CallContext,
): ModelError {
  return classifyHttpError(status, text, headers, ctx, OPENAI_ERROR_CODES);
}
