// Anthropic's error types and statuses as data, and the kind each becomes (HTTP answers and `error` events).
import {
  type CallContext,
  type ErrorBody,
  classifyHttpError,
  classifyStreamError,
  kindForHttp,
  wordingKind,
} from "./classify.js";
import type { ModelError, ModelErrorKind } from "./types.js";

/** One row of Anthropic's error table: its `error.type`, the status it comes with, and our kind. */
export interface AnthropicErrorRow {
  readonly type: string;
  readonly status: number;
  readonly kind: ModelErrorKind;
  /**
   * Kinds the message's wording may name instead (e.g. a 400 saying "prompt is too long" is a
   * context-length error, not a bad request); `model_not_found` means the message names the model.
   */
  readonly refinedBy?: readonly ModelErrorKind[];
}

/**
 * The table, from https://platform.claude.com/docs/en/api/errors and the SDK's `ErrorType`
 * (anthropic-sdk-typescript src/resources/shared.ts). Anthropic sends `not_found_error` both for
 * an unknown model and a wrong path; only the first names the model (`model: <id>`), and the two
 * must differ (a wrong baseUrl is a config error, an unknown model moves to the next candidate).
 * Billing wording wins on the 4xx rows: an empty credit balance comes as a 400
 * `invalid_request_error` ("Your credit balance is too low…"), a spend limit as a 429.
 */
export const ANTHROPIC_ERRORS: readonly AnthropicErrorRow[] = [
  {
    type: "invalid_request_error",
    status: 400,
    kind: "bad_request",
    refinedBy: ["billing", "context_length", "content_policy"],
  },
  { type: "authentication_error", status: 401, kind: "auth", refinedBy: ["billing"] },
  { type: "billing_error", status: 402, kind: "billing" },
  { type: "permission_error", status: 403, kind: "auth", refinedBy: ["billing"] },
  { type: "not_found_error", status: 404, kind: "endpoint_not_found", refinedBy: ["model_not_found"] },
  { type: "request_too_large", status: 413, kind: "context_length" },
  { type: "rate_limit_error", status: 429, kind: "rate_limit", refinedBy: ["billing"] },
  { type: "api_error", status: 500, kind: "server_error" },
  { type: "timeout_error", status: 504, kind: "timeout" },
  { type: "overloaded_error", status: 529, kind: "overloaded" },
];

const BY_TYPE = new Map(ANTHROPIC_ERRORS.map((row) => [row.type, row]));
const BY_STATUS = new Map(ANTHROPIC_ERRORS.map((row) => [row.status, row]));

/** `model: claude-x` is how Anthropic names a model it does not serve. */
const NAMES_MODEL = /\bmodel:\s*\S/i;

/** The row for an error: by its type (the most specific signal), else by its status. */
function rowFor(type: string | undefined, status: number | undefined): AnthropicErrorRow | undefined {
  return (
    (type !== undefined ? BY_TYPE.get(type) : undefined) ??
    (status !== undefined ? BY_STATUS.get(status) : undefined)
  );
}

function refine(row: AnthropicErrorRow, body: ErrorBody, model: string): ModelErrorKind {
  const refinedBy = row.refinedBy ?? [];
  if (refinedBy.includes("model_not_found")) {
    // The id itself counts too (a proxy's wording); very short ids would match any sentence.
    const names = NAMES_MODEL.test(body.message) || (model.length >= 3 && body.message.includes(model));
    if (names) return "model_not_found";
  }
  const worded = wordingKind(body);
  return worded !== undefined && refinedBy.includes(worded) ? worded : row.kind;
}

/**
 * The kind of an HTTP error answer. A body without a known type (a proxy's page, an empty 429)
 * is placed by its status; a status outside the table goes to the generic rules (408, 503, …).
 */
export function anthropicHttpKind(status: number, body: ErrorBody, model: string): ModelErrorKind {
  const row = rowFor(body.code, status);
  return row ? refine(row, body, model) : kindForHttp(status, body, model);
}

/** Classifies a non-2xx answer (the transport's `classify` hook). */
export function classifyAnthropicHttp(
  status: number,
  text: string,
  headers: Headers,
  ctx: CallContext,
): ModelError {
  return classifyHttpError(status, text, headers, ctx, anthropicHttpKind);
}

/**
 * Classifies an `error` event inside a 200 stream (`{type:"error", error:{type, message}}`): by
 * its type through the same table, else by its wording (anything else is server_error).
 */
export function classifyAnthropicEvent(body: ErrorBody, ctx: CallContext): ModelError {
  const row = rowFor(body.code, undefined);
  return row ? classifyStreamError(body, ctx, refine(row, body, ctx.model)) : classifyStreamError(body, ctx);
}
