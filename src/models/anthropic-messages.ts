// Anthropic Messages provider: POST {baseUrl}/v1/messages, streamed SSE through the provider's transport.
import { mapEvents } from "./event-queue.js";
import type { ProviderConfig } from "../config/schema.js";
import { classifyAnthropicHttp } from "./anthropic-errors.js";
import { MessageEvents } from "./anthropic-events.js";
import { anthropicBody } from "./anthropic-request.js";
import { type ProviderTransport, requestHeaders, type SseItem } from "./transport.js";
import type { Credential, ModelProvider, StreamEvent, StreamRequest } from "./types.js";

/** The `models.providers.<id>` fields this adapter reads. */
export type AnthropicMessagesConfig = Pick<ProviderConfig, "baseUrl" | "headers">;

/** The API root, as in Anthropic's SDK (its `baseURL` default). */
export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";

/** The `anthropic-version` header: the one version of the Messages API. */
export const ANTHROPIC_VERSION = "2023-06-01";

/**
 * `{baseUrl}/v1/messages`. `baseUrl` is the API root (as the SDK's `baseURL`); one that already
 * ends in `/v1` (as OpenAI-style base URLs do) is accepted rather than doubled.
 */
export function anthropicMessagesUrl(baseUrl: string): string {
  const root = baseUrl.replace(/\/+$/, "");
  return /\/v1$/.test(root) ? `${root}/messages` : `${root}/v1/messages`;
}

/** The stream's end marker (by the event name, or by the payload's type where a proxy dropped the names). */
function isMessageStop(item: SseItem): boolean {
  if (item.kind !== "event") return false;
  return item.event === undefined
    ? /^\s*\{\s*"type"\s*:\s*"message_stop"/.test(item.data)
    : item.event === "message_stop";
}

/**
 * Streams `POST <baseUrl>/v1/messages` with `stream:true`; events mapped by MessageEvents, errors
 * by the ANTHROPIC_ERRORS table. Deadlines and pooling are the transport's (see
 * OpenAICompletionsProvider): `connectTimeoutMs` to the headers, then the idle watchdog.
 */
export class AnthropicMessagesProvider implements ModelProvider {
  readonly id: string;
  readonly url: string;
  readonly credentials: readonly Credential[];
  readonly #config: AnthropicMessagesConfig;
  readonly #transport: ProviderTransport;

  constructor(
    id: string,
    config: AnthropicMessagesConfig,
    credentials: readonly Credential[],
    transport: ProviderTransport,
  ) {
    this.id = id;
    this.#config = config;
    this.credentials = credentials;
    this.#transport = transport;
    this.url = anthropicMessagesUrl(config.baseUrl || ANTHROPIC_DEFAULT_BASE_URL);
  }

  close(): Promise<void> {
    return this.#transport.close();
  }

  stream(request: StreamRequest): AsyncGenerator<StreamEvent> {
    const events = new MessageEvents({ provider: this.id, model: request.model, url: this.url });
    const items = () =>
      this.#transport.sse({
        url: this.url,
        model: request.model,
        headers: this.#headers(request),
        body: anthropicBody(request),
        signal: request.signal,
        classify: classifyAnthropicHttp,
        isEnd: isMessageStop,
      });
    return mapEvents(items, events);
  }

  #headers(request: StreamRequest): Record<string, string> {
    return requestHeaders(
      {
        accept: "text/event-stream",
        "anthropic-version": ANTHROPIC_VERSION,
        "x-api-key": request.credential?.apiKey,
      },
      this.#config.headers,
    );
  }
}
