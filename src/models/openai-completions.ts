// OpenAI-compatible chat-completions provider: streamed SSE over global fetch, connect and idle watchdogs.
import { setTimeout as sleep } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import type { ProviderConfig } from "../config/schema.js";
import { type CallContext, classifyHttpError, classifyNetworkError } from "./classify.js";
import { CompletionChunks } from "./openai-chunks.js";
import {
  type Credential,
  ModelError,
  type ModelProvider,
  type StreamEvent,
  type StreamRequest,
} from "./types.js";
import { Watchdog } from "./watchdog.js";

/** An error body past this is cut: only its message and code matter, and a proxy may send a page. */
const ERROR_BODY_CAP = 64 * 1024;
/** After `[DONE]`, how long the body may take to end (in the background) before its socket is dropped. */
const DRAIN_MS = 1_000;
/** Cap on one SSE event still being assembled: a vendor sending a line without end cannot grow the heap. */
const MAX_EVENT_CHARS = 1024 * 1024;
/** Cap on a non-streamed JSON completion; past it the cut JSON fails to parse (server_error). */
const MAX_COMPLETION_CHARS = 16 * 1024 * 1024;

/** The `models.providers.<id>` fields this adapter reads. */
export type OpenAICompletionsConfig = Pick<
  ProviderConfig,
  "baseUrl" | "headers" | "timeoutSeconds" | "connectTimeoutMs"
>;

/**
 * Streams `POST <baseUrl>/chat/completions` with `stream:true` and usage included.
 *
 * Deadlines: `connectTimeoutMs` covers connect up to the response headers; after that the idle
 * watchdog (`timeoutSeconds`) restarts on every body read, so a slow but steady stream never
 * trips it while a silent one does. Either raises ModelError kind `timeout`. undici's own
 * 300 s headers/body timeouts still apply beneath ours (they classify as `timeout` too).
 */
export class OpenAICompletionsProvider implements ModelProvider {
  readonly id: string;
  readonly url: string;
  readonly credentials: readonly Credential[];
  readonly #config: OpenAICompletionsConfig;

  constructor(id: string, config: OpenAICompletionsConfig, credentials: readonly Credential[]) {
    this.id = id;
    this.#config = config;
    this.credentials = credentials;
    this.url = `${config.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  }

  async *stream(request: StreamRequest): AsyncGenerator<StreamEvent> {
    const { signal } = request;
    signal.throwIfAborted();
    const ctx: CallContext = { provider: this.id, model: request.model, url: this.url };
    // Our own controller lets the watchdogs abort the fetch without touching the caller's signal.
    const controller = new AbortController();
    const watchdog = new Watchdog(controller);
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    let phase = "POST";
    let tail: Promise<void> | undefined;
    try {
      const response = await this.#send(request, controller.signal, watchdog);
      if (!response.ok) {
        const text = await this.#readCapped(response, watchdog).catch(() => "");
        throw classifyHttpError(response.status, text, response.headers, ctx);
      }
      phase = "reading the stream from";
      const chunks = new CompletionChunks(ctx);
      if (!response.body)
        throw new ModelError("server_error", `${this.url} answered 200 without a body`, ctx);
      // Some OpenAI-compatible servers ignore stream:true and answer one JSON document.
      if (response.headers.get("content-type")?.includes("application/json")) {
        yield* chunks.fromCompletion(await this.#readCapped(response, watchdog, MAX_COMPLETION_CHARS));
        return;
      }
      yield* this.#events(response.body, chunks, watchdog, (rest) => {
        tail = rest;
      });
    } catch (err) {
      throw this.#failure(err, ctx, watchdog, signal, phase);
    } finally {
      watchdog.clear();
      signal.removeEventListener("abort", onAbort);
      // Ends the socket when the consumer stopped early or an error left the body unread; after
      // [DONE] it waits for the short drain instead, so the keep-alive socket survives.
      if (tail) void tail.then(() => controller.abort());
      else controller.abort();
    }
  }

  async #send(request: StreamRequest, signal: AbortSignal, watchdog: Watchdog): Promise<Response> {
    const body: Record<string, unknown> = {
      model: request.model,
      messages: request.messages,
      stream: true,
      stream_options: { include_usage: true },
    };
    if (request.maxTokens !== undefined) body["max_tokens"] = request.maxTokens;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "text/event-stream",
    };
    const apiKey = request.credential?.apiKey;
    if (apiKey) headers["authorization"] = `Bearer ${apiKey}`;
    // Configured headers go last so a vendor needing another auth header (api-key, x-api-key) can set it.
    for (const [name, value] of Object.entries(this.#config.headers ?? {}))
      headers[name.toLowerCase()] = value;
    watchdog.arm("connect", this.#config.connectTimeoutMs);
    try {
      return await fetch(this.url, { method: "POST", headers, body: JSON.stringify(body), signal });
    } finally {
      watchdog.clear();
    }
  }

  async *#events(
    body: ReadableStream<Uint8Array>,
    chunks: CompletionChunks,
    watchdog: Watchdog,
    onTail: (rest: Promise<void>) => void,
  ): AsyncGenerator<StreamEvent> {
    const decoder = new TextDecoder();
    const parser = createParser({
      maxBufferSize: MAX_EVENT_CHARS,
      onEvent: (message) => chunks.onData(message.data),
      // Unknown fields and bad retry values are harmless; only the size cap ends the stream.
      onError: (err) => {
        if (err.type === "max-buffer-size-exceeded")
          chunks.fail(`an SSE event over ${MAX_EVENT_CHARS} characters`);
      },
    });
    const reader = body.getReader();
    const idleMs = this.#config.timeoutSeconds * 1000;
    for (;;) {
      // Armed only while waiting on the socket: time the consumer spends on a yielded event is not idle.
      watchdog.arm("idle", idleMs);
      const { done, value } = await reader.read();
      watchdog.clear();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      yield* chunks.take();
      if (chunks.sawDone) {
        // `done` goes out at once; the rest of the body is read in the background.
        onTail(drain(reader));
        break;
      }
    }
    yield* chunks.finish();
  }

  /** Reads a body as text up to `cap` characters, under the idle watchdog. */
  async #readCapped(response: Response, watchdog: Watchdog, cap = ERROR_BODY_CAP): Promise<string> {
    if (!response.body) return "";
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    try {
      while (text.length < cap) {
        watchdog.arm("idle", this.#config.timeoutSeconds * 1000);
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } finally {
      watchdog.clear();
    }
    return text.slice(0, cap);
  }

  /** Turns whatever ended the attempt into what the caller sees (see ModelProvider on aborts). */
  #failure(err: unknown, ctx: CallContext, watchdog: Watchdog, signal: AbortSignal, phase: string): unknown {
    if (signal.aborted) return signal.reason;
    if (err instanceof ModelError) return err;
    const fired = watchdog.fired;
    if (fired !== undefined) {
      const message =
        fired.phase === "connect"
          ? `no response from ${ctx.url} within ${fired.ms} ms (models.providers.${ctx.provider}.connectTimeoutMs)`
          : `no bytes from ${ctx.url} for ${fired.ms / 1000} s (idle watchdog, models.providers.${ctx.provider}.timeoutSeconds)`;
      return new ModelError("timeout", message, { ...ctx, cause: err });
    }
    return classifyNetworkError(err, ctx, phase);
  }
}

/** Reads the rest of a body briefly so undici can return the socket to its keep-alive pool. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const stop = new AbortController();
  const rest = (async () => {
    while (!(await reader.read()).done) {
      // discard: only reaching the end matters, so the connection can be reused
    }
  })().catch(() => undefined);
  const timeout = sleep(DRAIN_MS, undefined, { ref: false, signal: stop.signal }).catch(() => undefined);
  await Promise.race([rest, timeout]);
  stop.abort();
}
