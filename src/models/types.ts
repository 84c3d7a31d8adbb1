// The provider seam: ModelProvider, its stream events, ModelError kinds and what each kind means downstream.

import type { ChatMessage, ReasoningEffort, ResponseFormat, ToolChoice, ToolDefinition } from "./messages.js";

export type {
  ChatMessage,
  ContentPart,
  ReasoningEffort,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
} from "./messages.js";

/**
 * One credential of a provider, as data: the failover layer picks one per request and the adapter
 * sends it, so rotating credentials never needs another provider instance.
 */
export interface Credential {
  /** Stable name for logs, status and cooldowns: `<provider>:default`, `<provider>:<n>`. */
  readonly id: string;
  /** Sent as the vendor's API key header; undefined sends none (a local server without auth). */
  readonly apiKey: string | undefined;
}

/** One model call. `signal` always reaches the provider's fetch (a run's abort ends the socket). */
export interface StreamRequest {
  /** The provider's own model id (the part after "provider/"). */
  model: string;
  messages: readonly ChatMessage[];
  /** Upper bound on reply tokens; omitted means the vendor's default. */
  maxTokens?: number;
  /** Tools the model may call, and whether it must. */
  tools?: readonly ToolDefinition[];
  toolChoice?: ToolChoice;
  temperature?: number;
  topP?: number;
  stop?: readonly string[];
  /** Sampling seed, for vendors that make replies repeatable with one. */
  seed?: number;
  /** JSON mode or a JSON schema the reply must follow (vendors without one ignore it). */
  responseFormat?: ResponseFormat;
  /** Reasoning effort for models that think (ignored by the others). */
  reasoning?: ReasoningEffort;
  /** The credential to send; the failover layer always sets it (omitted: no auth header). */
  credential?: Credential;
  signal: AbortSignal;
}

/**
 * What a stream yields: text deltas as they arrive, then at most one `usage`, then exactly one `done`.
 * A stream that yields `done` succeeded; every failure is thrown instead (see {@link ModelProvider}).
 */
export type StreamEvent =
  /** Only the failover layer yields this: the candidate it is about to call. */
  | { type: "attempt"; ref: string; provider: string; model: string; credential: string }
  | { type: "text"; delta: string }
  /** Reasoning text, streamed apart from the reply. */
  /**
   * Reasoning text. `signature` is the vendor's seal over one reasoning block, `signed` that
   * block's whole text (Anthropic's `signature_delta`, with an empty `delta`): sending the block
   * back later needs both.
   */
  | { type: "thinking"; delta: string; signature?: string; signed?: string }
  /** A piece of a tool call as it streams: `index` orders calls; id and name come first. */
  | { type: "tool_call_delta"; index: number; id?: string; name?: string; argumentsDelta: string }
  /** One tool call, assembled, once its arguments are complete. */
  | { type: "tool_call"; id: string; name: string; arguments: string }
  | {
      type: "usage";
      /**
       * Prompt tokens neither read from nor written to the vendor's cache (Anthropic's
       * input_tokens; OpenAI's prompt tokens minus the cached ones), so that input, cacheRead
       * and cacheWrite add up to the prompt and each is priced once (usage.cost).
       */
      inputTokens: number;
      outputTokens: number;
      /** Prompt tokens served from the vendor's cache, and written to it, where it reports them. */
      cacheReadTokens?: number;
      cacheWriteTokens?: number;
    }
  | {
      type: "done";
      /**
       * The finish reason normalised across vendors ("stop", "length", "tool_calls",
       * "content_filter"; see STOP_REASONS), else the vendor's own, or "unknown" if it sent none.
       */
      stopReason: string;
      responseModel?: string;
      responseId?: string;
    };

/**
 * A model vendor behind one wire format.
 *
 * `stream()` throws a {@link ModelError} for every provider failure — including one that happens after
 * text was yielded (the caller keeps the partial text). When `request.signal` aborts, it throws
 * `signal.reason` as is, never a ModelError: an abort is the caller's decision, not a provider
 * failure, and must not feed failover or cooldowns. Callers tell them apart with `signal.aborted`.
 * Leaving the iteration early (`break`) aborts the underlying request too.
 */
export interface ModelProvider {
  /** The `models.providers.<id>` key. */
  readonly id: string;
  /** The credentials this provider may send, in rotation order (at least one entry). */
  readonly credentials: readonly Credential[];
  stream(request: StreamRequest): AsyncIterable<StreamEvent>;
  /** Embeddings for `input`, one vector each, where the vendor serves them. */
  embed?(request: EmbedRequest): Promise<EmbedResult>;
  /** Releases the provider's connections; calls already under way finish first. */
  close?(): Promise<void>;
}

export interface EmbedRequest {
  model: string;
  input: readonly string[];
  credential?: Credential;
  signal: AbortSignal;
}

export interface EmbedResult {
  vectors: number[][];
  usage?: { inputTokens: number };
}

/** `details.reason` of a turn's error when no candidate was asked because every one was cooling. */
export const ALL_COOLING = "all_candidates_cooling";

/** Every provider failure class (STYLE.md). The providers and failover issues may add kinds. */
export const MODEL_ERROR_KINDS = [
  "auth",
  "billing",
  "rate_limit",
  "overloaded",
  "timeout",
  "network",
  "model_not_found",
  "endpoint_not_found",
  "context_length",
  "content_policy",
  "bad_request",
  "server_error",
] as const;
export type ModelErrorKind = (typeof MODEL_ERROR_KINDS)[number];

export interface ModelErrorOptions {
  provider: string;
  model: string;
  status?: number;
  /** The vendor's own error code (`error.code` / `error.type`), when it sent one. */
  code?: string;
  retryAfterMs?: number;
  /** The request URL — set on kinds where it is the clue (endpoint_not_found, network, timeout). */
  url?: string;
  /** Every failed attempt of a failover chain, oldest first (set on the error that ends a turn). */
  attempts?: readonly AttemptRecord[];
  /** Extra fields for the turn's error details (e.g. `reason: ALL_COOLING`). */
  details?: Readonly<Record<string, unknown>>;
  cause?: unknown;
}

/** One failed attempt of a turn: which candidate and credential, and how it failed. */
export interface AttemptRecord {
  ref: string;
  provider: string;
  model: string;
  credential: string;
  kind: ModelErrorKind;
  message: string;
  status?: number;
  /** The vendor's error code, when it sent one. */
  code?: string;
  /** How long the attempt took, from its start to its failure (ms). */
  ms: number;
}

/** A classified provider failure. `kind` drives failover (KIND_POLICY) and the chat `errorKind`. */
export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  readonly provider: string;
  readonly model: string;
  readonly status?: number;
  readonly code?: string;
  readonly retryAfterMs?: number;
  readonly url?: string;
  readonly attempts?: readonly AttemptRecord[];
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(kind: ModelErrorKind, message: string, options: ModelErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ModelError";
    this.kind = kind;
    this.provider = options.provider;
    this.model = options.model;
    if (options.status !== undefined) this.status = options.status;
    if (options.code !== undefined) this.code = options.code;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.url !== undefined) this.url = options.url;
    if (options.attempts !== undefined) this.attempts = options.attempts;
    if (options.details !== undefined) this.details = options.details;
  }

  /** Plain fields for a chat `error` event's `details` and for failover attempt records. */
  toDetails(): Record<string, unknown> {
    const d: Record<string, unknown> = { kind: this.kind, provider: this.provider, model: this.model };
    if (this.status !== undefined) d["status"] = this.status;
    if (this.code !== undefined) d["code"] = this.code;
    if (this.retryAfterMs !== undefined) d["retryAfterMs"] = this.retryAfterMs;
    if (this.url !== undefined) d["url"] = this.url;
    if (this.attempts !== undefined) d["attempts"] = this.attempts;
    return this.details === undefined ? d : { ...d, ...this.details };
  }
}

/** The `chat` event's `errorKind` values (OpenClaw-compatible, closed). */
export type ChatErrorKind = "rate_limit" | "timeout" | "context_length" | "refusal" | "unknown";

/**
 * Maps a run's error kind (a ModelError kind, or `config` / `internal` for failures outside a
 * provider) to the chat event's `errorKind` ("Keel's choices": Errors across layers).
 */
export function errorKindForChat(kind: string): ChatErrorKind {
  switch (kind) {
    case "rate_limit":
    case "timeout":
    case "context_length":
      return kind;
    case "content_policy":
      return "refusal";
    default:
      return "unknown";
  }
}

/** What failover does after one attempt failed with a kind. */
export interface KindPolicy {
  /** Try the next candidate of the chain, or end the turn with this error. */
  readonly failover: "next_candidate" | "stop";
  /** Another credential of the same provider may be tried first (protocol §4.3 profile rotation). */
  readonly rotateCredential: boolean;
  /** What the failure cools down so later attempts skip it for a while (models/cooldowns.ts). */
  readonly coolDown: CooldownRule;
  /** A misconfiguration to report with the URL; never evidence that the credential is bad. */
  readonly configError: boolean;
}

/**
 * What a kind cools: a (credential, model) pair, a whole credential, the provider's endpoint, or
 * nothing; which step table (`models.cooldowns.*StepsMs`) times it; and whether it cools only
 * after `models.cooldowns.serverErrorThreshold` consecutive failures.
 */
export interface CooldownRule {
  readonly scope: CooldownScope;
  readonly steps: "rate_limit" | "failure" | "billing";
  readonly afterConsecutive: boolean;
}
export type CooldownScope = "credential_model" | "credential" | "endpoint" | "none";

const cools = (scope: CooldownScope, steps: CooldownRule["steps"], afterConsecutive = false) => ({
  scope,
  steps,
  afterConsecutive,
});
const noCooldown = cools("none", "failure");
const next = (rotateCredential: boolean, coolDown: CooldownRule): KindPolicy => ({
  failover: "next_candidate",
  rotateCredential,
  coolDown,
  configError: false,
});
const stop: KindPolicy = {
  failover: "stop",
  rotateCredential: false,
  coolDown: noCooldown,
  configError: false,
};

/**
 * One row per kind (protocol §4.3, stability §2). Timeouts, resets and connect hangs are failures
 * that cool the credential down; a 404 never does. Request-shaped errors (context, policy, bad
 * request) stop: another model would get the same request and the user needs to see the real error.
 */
export const KIND_POLICY: Readonly<Record<ModelErrorKind, KindPolicy>> = {
  auth: next(true, cools("credential", "failure")),
  billing: next(true, cools("credential", "billing")),
  rate_limit: next(true, cools("credential_model", "rate_limit")),
  overloaded: next(true, cools("credential_model", "rate_limit")),
  timeout: next(true, cools("credential_model", "failure")),
  // Every credential shares the endpoint, so rotating would only meet the same dead socket.
  network: next(false, cools("endpoint", "failure")),
  model_not_found: next(false, noCooldown),
  endpoint_not_found: {
    failover: "next_candidate",
    rotateCredential: false,
    coolDown: noCooldown,
    configError: true,
  },
  server_error: next(false, cools("credential_model", "failure", true)),
  context_length: stop,
  content_policy: stop,
  bad_request: stop,
};
