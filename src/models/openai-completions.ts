// OpenAI-compatible chat-completions provider: streamed SSE through the provider's transport.
import type { ProviderConfig } from "../config/schema.js";
import { CompletionChunks } from "./openai-chunks.js";
import type { ProviderTransport } from "./transport.js";
import type { Credential, ModelProvider, StreamEvent, StreamRequest } from "./types.js";

/** The `models.providers.<id>` fields this adapter reads. */
export type OpenAICompletionsConfig = Pick<ProviderConfig, "baseUrl" | "headers">;

/**
 * Streams `POST <baseUrl>/chat/completions` with `stream:true` and usage included.
 *
 * Deadlines (the transport's): `connectTimeoutMs` covers connect up to the response headers; after
 * that the idle watchdog (`timeoutSeconds`) restarts on every body read, so a slow but steady
 * stream never trips it while a silent one does. Either raises ModelError kind `timeout`.
 */
export class OpenAICompletionsProvider implements ModelProvider {
  readonly id: string;
  readonly url: string;
  readonly credentials: readonly Credential[];
  readonly #config: OpenAICompletionsConfig;
  readonly #transport: ProviderTransport;

  constructor(
    id: string,
    config: OpenAICompletionsConfig,
    credentials: readonly Credential[],
    transport: ProviderTransport,
  ) {
    this.id = id;
    this.#config = config;
    this.credentials = credentials;
    this.#transport = transport;
    this.url = `${config.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  }

  async *stream(request: StreamRequest): AsyncGenerator<StreamEvent> {
    const ctx = { provider: this.id, model: request.model, url: this.url };
    const chunks = new CompletionChunks(ctx);
    const items = this.#transport.sse({
      url: this.url,
      model: request.model,
      headers: this.#headers(request),
      body: this.#body(request),
      signal: request.signal,
      isEnd: (item) => item.kind === "event" && item.data.trim() === "[DONE]",
    });
    for await (const item of items) {
      if (item.kind === "json") {
        yield* chunks.fromCompletion(item.text);
        return;
      }
      chunks.onData(item.data);
      yield* chunks.take();
      // `done` goes out at once; the transport drains the rest of the body in the background.
      if (chunks.sawDone) break;
    }
    yield* chunks.finish();
  }

  close(): Promise<void> {
    return this.#transport.close();
  }

  #body(request: StreamRequest): Record<string, unknown> {
    const body: Record<string, unknown> = {
      model: request.model,
      messages: request.messages,
      stream: true,
      stream_options: { include_usage: true },
    };
    if (request.maxTokens !== undefined) body["max_tokens"] = request.maxTokens;
    return body;
  }

  #headers(request: StreamRequest): Record<string, string> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    const apiKey = request.credential?.apiKey;
    if (apiKey) headers["authorization"] = `Bearer ${apiKey}`;
    // Configured headers go last so a vendor needing another auth header (api-key, x-api-key) can set it.
    for (const [name, value] of Object.entries(this.#config.headers ?? {}))
      headers[name.toLowerCase()] = value;
    return headers;
  }
}
