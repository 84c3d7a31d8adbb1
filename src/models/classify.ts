// Classification of provider failures (HTTP status + body, network errors) into ModelError kinds.
import { ModelError, type ModelErrorKind } from "./types.js";

/** Who was asked: copied onto every ModelError so failover records say which candidate failed. */
export interface CallContext {
  provider: string;
  model: string;
  url: string;
}

/** The parts of a vendor error body that matter, from `{error:{message,code,type}}` and its cousins. */
export interface ErrorBody {
  message: string;
  code?: string;
}

const BILLING =
  /insufficient[ _](credits|quota|funds|balance)|credit balance|billing|payment required|quota exceeded|exceeded your (current )?quota/i;
const CONTEXT =
  /context[ _]length|context[ _]window|maximum context|too many tokens|prompt is too long|request[ _]too[ _]large|input is too long|reduce the length/i;
const POLICY =
  /content[ _]policy|content[ _]filter|content management|safety (system|policy)|flagged|responsible ai/i;
const OVERLOADED = /overloaded/i;
const RATE = /rate[ _]limit|too many (concurrent )?requests|throttl|resource[ _]exhausted/i;
const MODEL_CODES = new Set(["model_not_found", "modelnotfound", "model_not_available", "invalid_model"]);
const MODEL_MISSING =
  /model\b[^.]{0,80}\b(not found|does not exist|doesn't exist|not exist|unknown|not available|is not supported)/i;

/**
 * A vendor's error codes (`error.code`, else `error.type`) mapped to kinds, as data: one table per
 * vendor next to its adapter. A listed code decides the kind before status and wording do.
 */
export type ErrorCodeTable = Readonly<Record<string, ModelErrorKind>>;

const NO_CODES: ErrorCodeTable = {};

/** The table's kind for a body's code, if the vendor sent a code the table lists. */
function kindForCode(body: ErrorBody, table: ErrorCodeTable): ModelErrorKind | undefined {
  return body.code === undefined ? undefined : table[body.code.toLowerCase()];
}

/** Node/undici error codes that mean the transport gave out (a failure worth failing over). */
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);
/** Transport-level timeouts (undici's own headers/body timeouts fire if ours are set longer). */
const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** Deepest nesting of a vendor body handed to JSON.parse: real error bodies nest three or four levels. */
export const MAX_BODY_DEPTH = 64;
/** Longest vendor body parsed as JSON (the transport already caps what it reads at 64 KiB). */
export const MAX_BODY_CHARS = 1024 * 1024;
/** How much of a body that is not usable JSON becomes the message. */
const TEXT_PREFIX_CHARS = 500;

/**
 * Extracts message and code from a vendor error body (JSON of several shapes, or plain text).
 * The body is the vendor's: one nested 300,000 levels deep or megabytes long is parsed no further
 * than the limits, and classified from what a scan of its text still shows.
 */
export function parseErrorBody(text: string): ErrorBody {
  const json = parseBoundedJson(text);
  if (json === undefined) return salvage(text);
  const root = (json ?? {}) as Record<string, unknown>;
  // OpenAI: {error:{message,type,code}}; Ollama/vLLM: {error:"..."}; others: {message} / {detail}.
  const inner = root["error"];
  const err = (inner && typeof inner === "object" ? inner : root) as Record<string, unknown>;
  const message =
    (typeof inner === "string" && inner) ||
    str(err["message"]) ||
    str(root["message"]) ||
    str(root["detail"]) ||
    text.trim().slice(0, TEXT_PREFIX_CHARS);
  const code = str(err["code"]) || str(err["type"]) || str(root["code"]) || undefined;
  return code === undefined ? { message } : { message, code };
}

/**
 * JSON.parse under a size and a nesting limit: `undefined` when `text` is longer than
 * `maxChars`, nests deeper than `maxDepth`, or is not JSON. The depth scan runs first because a
 * deep value parses fine and then overflows the stack of whatever walks or stringifies it.
 */
export function parseBoundedJson(
  text: string,
  maxDepth: number = MAX_BODY_DEPTH,
  maxChars: number = MAX_BODY_CHARS,
): unknown {
  if (text.length > maxChars || nestingDepth(text, maxDepth) > maxDepth) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Bracket depth of `text` outside strings, counted only until it passes `stopAt`. */
function nestingDepth(text: string, stopAt: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max && (max = depth) > stopAt) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** For a body that is not usable JSON: its first "message" and "code"/"type" strings, else a text prefix. */
function salvage(text: string): ErrorBody {
  const head = text.slice(0, 64 * 1024);
  const field = (name: string) =>
    new RegExp(`"${name}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){1,${TEXT_PREFIX_CHARS}})"`).exec(head)?.[1];
  const message = field("message") ?? text.trim().slice(0, TEXT_PREFIX_CHARS);
  const code = field("code") ?? field("type");
  return code === undefined ? { message } : { message, code };
}

function str(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
}

/** Parses `Retry-After` (delta seconds or an HTTP date) or `retry-after-ms` into milliseconds. */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Decides the kind: the vendor's code table first, then the status, then the body's code and
 * wording (stability §2).
 */
export function kindForHttp(
  status: number,
  body: ErrorBody,
  model: string,
  table: ErrorCodeTable = NO_CODES,
): ModelErrorKind {
  const listed = kindForCode(body, table);
  if (listed !== undefined) return listed;
  const text = `${body.code ?? ""} ${body.message}`;
  if (status === 404) return namesMissingModel(body, model) ? "model_not_found" : "endpoint_not_found";
  // Billing wording wins over the status: OpenAI answers an empty quota with 429 insufficient_quota.
  if ((status === 401 || status === 403 || status === 429 || status === 402) && BILLING.test(text)) {
    return "billing";
  }
  if (status === 401 || status === 403) return "auth";
  if (status === 402) return "billing";
  if (status === 429) return "rate_limit";
  if (status === 408) return "timeout";
  if (status === 503 || status === 529 || OVERLOADED.test(text)) return "overloaded";
  if (status === 413 || CONTEXT.test(text)) return "context_length";
  if (POLICY.test(text)) return "content_policy";
  if (status >= 500) return "server_error";
  return "bad_request";
}

function namesMissingModel(body: ErrorBody, model: string): boolean {
  if (body.code !== undefined && MODEL_CODES.has(body.code.toLowerCase())) return true;
  // The body naming the exact model id is the strongest signal; a generic 404 page never does. It
  // must stand as a whole id: a short one ("m", "o1") is inside many a path or word.
  if (model.length > 0 && namesId(body.message, model)) return true;
  return MODEL_MISSING.test(body.message);
}

const ID_CHAR = /[A-Za-z0-9._:/-]/;

/** Whether `text` contains `id` with no id character right before or after it. */
function namesId(text: string, id: string): boolean {
  const hay = text.toLowerCase();
  const needle = id.toLowerCase();
  for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + 1)) {
    const before = at === 0 ? "" : hay[at - 1]!;
    const after = hay[at + needle.length] ?? "";
    if (!ID_CHAR.test(before) && !ID_CHAR.test(after)) return true;
  }
  return false;
}

/** Decides a kind from a status and a parsed error body (kindForHttp, or a vendor's own table). */
export type HttpKindRule = (status: number, body: ErrorBody, model: string) => ModelErrorKind;

/**
 * Builds the ModelError for a non-2xx response whose body text has been read. `rule` lets a
 * vendor decide the kind — a table of its error codes (checked before status and wording), or a
 * function of status and body; the message, URL and Retry-After handling stay shared.
 */
export function classifyHttpError(
  status: number,
  bodyText: string,
  headers: Headers,
  ctx: CallContext,
  rule: ErrorCodeTable | HttpKindRule = NO_CODES,
): ModelError {
  const body = parseErrorBody(bodyText);
  const kind =
    typeof rule === "function" ? rule(status, body, ctx.model) : kindForHttp(status, body, ctx.model, rule);
  const retryAfterMs = parseRetryAfter(headers);
  const detail = body.message ? `: ${body.message}` : "";
  const message =
    kind === "endpoint_not_found"
      ? `endpoint not found: POST ${ctx.url} answered 404 — check models.providers.${ctx.provider}.baseUrl${detail}`
      : `${ctx.provider}/${ctx.model} answered HTTP ${status} (${kind})${detail}`;
  return new ModelError(kind, message, {
    provider: ctx.provider,
    model: ctx.model,
    status,
    url: ctx.url,
    ...(body.code !== undefined ? { code: body.code } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** The kind an error's code and wording name (overloaded, billing, rate limit, context, policy), if any. */
export function wordingKind(body: ErrorBody): ModelErrorKind | undefined {
  const text = `${body.code ?? ""} ${body.message}`;
  if (OVERLOADED.test(text)) return "overloaded";
  if (BILLING.test(text)) return "billing";
  if (RATE.test(text)) return "rate_limit";
  if (CONTEXT.test(text)) return "context_length";
  if (POLICY.test(text)) return "content_policy";
  return undefined;
}

/**
 * Classifies an error object sent inside a 200 stream (`data: {"error":{…}}`), where there is no
 * status: wording decides (or `kind`, from a vendor's table of error types), and anything
 * unrecognised is the vendor's own failure (server_error).
 */
export function classifyStreamError(
  body: ErrorBody,
  ctx: CallContext,
  rule: ErrorCodeTable | ModelErrorKind = NO_CODES,
): ModelError {
  const kind =
    typeof rule === "string" ? rule : (kindForCode(body, rule) ?? wordingKind(body) ?? "server_error");
  return new ModelError(
    kind,
    `${ctx.provider}/${ctx.model} sent an error mid-stream (${kind}): ${body.message}`,
    {
      provider: ctx.provider,
      model: ctx.model,
      url: ctx.url,
      ...(body.code !== undefined ? { code: body.code } : {}),
    },
  );
}

/** The `code` of an error or of its `cause` chain (undici wraps socket errors in `TypeError: fetch failed`). */
function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * Classifies a thrown transport error (fetch rejection or body read failure) as network or
 * timeout. Anything unrecognised is still a network failure: it must count against the candidate.
 */
export function classifyNetworkError(err: unknown, ctx: CallContext, phase: string): ModelError {
  const codes = errorCodes(err);
  const message = err instanceof Error ? err.message : String(err);
  const causeMessage = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
  const timeout =
    codes.some((c) => TIMEOUT_CODES.has(c)) || (err instanceof Error && err.name === "TimeoutError");
  const kind: ModelErrorKind = timeout ? "timeout" : "network";
  const code = codes.find((c) => NETWORK_CODES.has(c) || TIMEOUT_CODES.has(c)) ?? codes[0];
  return new ModelError(kind, `${phase} ${ctx.url} failed (${code ?? kind}): ${message}${causeMessage}`, {
    provider: ctx.provider,
    model: ctx.model,
    url: ctx.url,
    cause: err,
    ...(code !== undefined ? { code } : {}),
  });
}
