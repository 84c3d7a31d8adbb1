// OpenAI-compatible chat-completions provider: Keel messages in the chat-completions wire shape,
// streamed SSE through the provider's transport, and embeddings.
// Request shapes: https://platform.openai.com/docs/api-reference/chat/create and /embeddings/create.
import { mapEvents } from "./event-queue.js";
import type { ProviderConfig } from "../config/schema.js";
import { type ContentPart, partsOf } from "./messages.js";
import { CompletionChunks } from "./openai-chunks.js";
import { classifyOpenAIHttp } from "./openai-errors.js";
import { type ProviderTransport, requestHeaders } from "./transport.js";
import {
  type ChatMessage,
  type Credential,
  type EmbedRequest,
  type EmbedResult,
  ModelError,
  type ModelProvider,
  type StreamEvent,
  type StreamRequest,
  type ResponseFormat,
  type ToolChoice,
} from "./types.js";

type Json = Record<string, unknown>;

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
  readonly embeddingsUrl: string;
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
    const base = config.baseUrl.replace(/\/+$/, "");
    this.url = `${base}/chat/completions`;
    this.embeddingsUrl = `${base}/embeddings`;
  }

  stream(request: StreamRequest): AsyncGenerator<StreamEvent> {
    const ctx = { provider: this.id, model: request.model, url: this.url };
    const chunks = new CompletionChunks(ctx);
    const items = () =>
      this.#transport.sse({
        url: this.url,
        model: request.model,
        headers: this.#headers(request.credential, "text/event-stream"),
        body: requestBody(request),
        signal: request.signal,
        classify: classifyOpenAIHttp,
        isEnd: (item) => item.kind === "event" && item.data.trim() === "[DONE]",
      });
    return mapEvents(items, chunks);
  }

  close(): Promise<void> {
    return this.#transport.close();
  }

  /** `POST <baseUrl>/embeddings`: one vector per input, in input order. */
  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const answer = await this.#transport.json({
      url: this.embeddingsUrl,
      model: request.model,
      headers: this.#headers(request.credential, "application/json"),
      body: { model: request.model, input: request.input },
      signal: request.signal,
      classify: classifyOpenAIHttp,
    });
    const data = isObject(answer) && Array.isArray(answer["data"]) ? answer["data"] : [];
    const rows = data.filter(isObject);
    // `index` says which input a vector belongs to; the order of `data` is not promised.
    rows.sort((a, b) => Number(a["index"] ?? 0) - Number(b["index"] ?? 0));
    const vectors = rows.map((row) => row["embedding"]);
    if (vectors.length !== request.input.length || !vectors.every(isVector)) {
      throw new ModelError(
        "server_error",
        `${this.id}/${request.model} answered ${vectors.length} embeddings for ${request.input.length} inputs, or one was not a list of numbers`,
        { provider: this.id, model: request.model, url: this.embeddingsUrl },
      );
    }
    const usage = isObject(answer) && isObject(answer["usage"]) ? answer["usage"] : undefined;
    const tokens = usage?.["prompt_tokens"];
    return { vectors, ...(typeof tokens === "number" ? { usage: { inputTokens: tokens } } : {}) };
  }

  #headers(credential: Credential | undefined, accept: string): Record<string, string> {
    const apiKey = credential?.apiKey;
    return requestHeaders({ accept, authorization: apiKey && `Bearer ${apiKey}` }, this.#config.headers);
  }
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isVector = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === "number");

/** The chat-completions request body for a Keel request. */
export function requestBody(request: StreamRequest): Json {
  const body: Json = {
    model: request.model,
    messages: request.messages.flatMap(wireMessages),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.maxTokens !== undefined) body["max_tokens"] = request.maxTokens;
  if (request.temperature !== undefined) body["temperature"] = request.temperature;
  if (request.topP !== undefined) body["top_p"] = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) body["stop"] = request.stop;
  if (request.seed !== undefined) body["seed"] = request.seed;
  if (request.responseFormat !== undefined)
    body["response_format"] = wireResponseFormat(request.responseFormat);
  if (request.reasoning !== undefined) body["reasoning_effort"] = request.reasoning;
  if (request.tools !== undefined && request.tools.length > 0) {
    body["tools"] = request.tools.map((t) => ({
      type: "function",
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
      },
    }));
  }
  if (request.toolChoice !== undefined) body["tool_choice"] = wireToolChoice(request.toolChoice);
  return body;
}

function wireResponseFormat(format: ResponseFormat): Json {
  if (format.type !== "json_schema") return { type: format.type };
  const { type, ...schema } = format;
  return { type, json_schema: schema };
}

function wireToolChoice(choice: ToolChoice): unknown {
  return typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
}

/**
 * One Keel message as chat-completions messages. Plain-string content goes out as it came. Tool
 * results become one `role: "tool"` message each (the wire has one result per message, and no
 * error flag: the result's own text says it failed). Thinking is never sent back.
 */
function wireMessages(message: ChatMessage): Json[] {
  if (typeof message.content === "string") return [{ role: message.role, content: message.content }];
  const parts = partsOf(message.content);
  const out: Json[] = [];
  for (const p of parts) {
    if (p.type === "tool_result") out.push({ role: "tool", tool_call_id: p.callId, content: p.content });
  }
  const rest = parts.filter((p) => p.type !== "tool_result" && p.type !== "thinking");
  if (message.role === "assistant") {
    const calls = rest.filter((p) => p.type === "tool_call");
    const text = joinText(rest);
    if (calls.length === 0 && text === "" && out.length > 0) return out;
    out.push({
      role: "assistant",
      // OpenAI wants null, not "", beside tool calls.
      content: text === "" && calls.length > 0 ? null : text,
      ...(calls.length > 0
        ? {
            tool_calls: calls.map((c) => ({
              id: c.id,
              type: "function",
              function: { name: c.name, arguments: c.arguments },
            })),
          }
        : {}),
    });
    return out;
  }
  if (rest.length === 0) return out;
  // A tool message's leftover text has no call to answer; it reads as the user's.
  const role = message.role === "tool" ? "user" : message.role;
  const hasImage = rest.some((p) => p.type === "image");
  // Text-only content stays a string: many OpenAI-compatible servers accept nothing else.
  out.push({ role, content: hasImage && role === "user" ? rest.flatMap(userPart) : joinText(rest) });
  return out;
}

function joinText(parts: readonly ContentPart[]): string {
  let text = "";
  for (const p of parts) if (p.type === "text") text += p.text;
  return text;
}

function userPart(part: ContentPart): Json[] {
  if (part.type === "text") return [{ type: "text", text: part.text }];
  if (part.type !== "image") return [];
  const { source } = part;
  const url = source.kind === "url" ? source.url : `data:${source.mediaType};base64,${source.data}`;
  return [{ type: "image_url", image_url: { url } }];
}
