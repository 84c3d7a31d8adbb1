// OpenAI Responses API provider: POST <baseUrl>/responses streamed as `response.*` SSE events.
import { mapEvents } from "./event-queue.js";
import type { ProviderConfig } from "../config/schema.js";
import { type ChatMessage, type ContentPart, partsOf } from "./messages.js";
import { classifyResponsesHttpError } from "./openai-responses-errors.js";
import { ResponsesEvents } from "./openai-responses-events.js";
import { type ProviderTransport, requestHeaders, type SseItem } from "./transport.js";
import type { Credential, ModelProvider, StreamEvent, StreamRequest, ToolChoice } from "./types.js";

/** The `models.providers.<id>` fields this adapter reads. */
export type OpenAIResponsesConfig = Pick<ProviderConfig, "baseUrl" | "headers">;

type Json = Record<string, unknown>;

/** The events after which a response has nothing more to say. */
const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed", "error"]);

/**
 * Streams `POST <baseUrl>/responses` with `stream:true` and `store:false`: Keel keeps the
 * transcript itself and sends the whole conversation each turn, so nothing is left on the vendor.
 * Deadlines are the transport's (connect, then the idle watchdog between body reads).
 */
export class OpenAIResponsesProvider implements ModelProvider {
  readonly id: string;
  readonly url: string;
  readonly credentials: readonly Credential[];
  readonly #config: OpenAIResponsesConfig;
  readonly #transport: ProviderTransport;

  constructor(
    id: string,
    config: OpenAIResponsesConfig,
    credentials: readonly Credential[],
    transport: ProviderTransport,
  ) {
    this.id = id;
    this.#config = config;
    this.credentials = credentials;
    this.#transport = transport;
    this.url = `${config.baseUrl.replace(/\/+$/, "")}/responses`;
  }

  close(): Promise<void> {
    return this.#transport.close();
  }

  stream(request: StreamRequest): AsyncGenerator<StreamEvent> {
    const events = new ResponsesEvents({ provider: this.id, model: request.model, url: this.url });
    const items = () =>
      this.#transport.sse({
        url: this.url,
        model: request.model,
        headers: this.#headers(request),
        body: responsesBody(request),
        signal: request.signal,
        classify: classifyResponsesHttpError,
        isEnd: isTerminal,
      });
    return mapEvents(items, events);
  }

  #headers(request: StreamRequest): Record<string, string> {
    const apiKey = request.credential?.apiKey;
    return requestHeaders(
      { accept: "text/event-stream", authorization: apiKey && `Bearer ${apiKey}` },
      this.#config.headers,
    );
  }
}

function isTerminal(item: SseItem): boolean {
  if (item.kind !== "event") return false;
  if (item.event !== undefined && TERMINAL.has(item.event)) return true;
  // Servers that leave out the `event:` line still name the event in the payload (its first key).
  // This only decides whether the socket is drained back to the pool; ResponsesEvents decides the end.
  const match = /"type"\s*:\s*"([^"]+)"/.exec(item.data.slice(0, 200));
  return match !== null && TERMINAL.has(match[1]!);
}

/**
 * The request body (Responses API reference: `POST /responses`; the official SDK's
 * ResponseCreateParams). `request.stop` and `request.seed` are not sent: the Responses API has
 * neither.
 */
export function responsesBody(request: StreamRequest): Json {
  const { instructions, input } = responsesInput(request.messages);
  const body: Json = { model: request.model, input, stream: true, store: false };
  if (instructions !== undefined) body["instructions"] = instructions;
  if (request.maxTokens !== undefined) body["max_output_tokens"] = request.maxTokens;
  if (request.temperature !== undefined) body["temperature"] = request.temperature;
  if (request.topP !== undefined) body["top_p"] = request.topP;
  if (request.tools !== undefined && request.tools.length > 0) {
    body["tools"] = request.tools.map((t) => ({
      type: "function",
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.parameters,
      // A required field of a function tool; strict validation would reject agents' usual (non-strict) schemas.
      strict: false,
    }));
  }
  if (request.toolChoice !== undefined) body["tool_choice"] = toolChoice(request.toolChoice);
  // The Responses API takes the format under `text.format`, the schema's fields flattened into it.
  if (request.responseFormat !== undefined) body["text"] = { format: request.responseFormat };
  // `summary: "auto"` is what makes reasoning text stream at all (reasoning_summary_text.delta).
  if (request.reasoning !== undefined) body["reasoning"] = { effort: request.reasoning, summary: "auto" };
  return body;
}

function toolChoice(choice: ToolChoice): unknown {
  return typeof choice === "string" ? choice : { type: "function", name: choice.name };
}

/**
 * Messages as Responses input items. Leading system messages become `instructions` (the
 * reference's "system (or developer) message inserted into the model's context"); a later one
 * stays in place as a `system` message so the order the model reads is kept.
 */
export function responsesInput(messages: readonly ChatMessage[]): { instructions?: string; input: Json[] } {
  let start = 0;
  const leading: string[] = [];
  while (start < messages.length && messages[start]!.role === "system") {
    leading.push(textParts(partsOf(messages[start]!.content)));
    start++;
  }
  const input: Json[] = [];
  for (const message of messages.slice(start)) input.push(...itemsOf(message));
  return leading.length > 0 ? { instructions: leading.join("\n\n"), input } : { input };
}

function itemsOf(message: ChatMessage): Json[] {
  const items: Json[] = [];
  const content: Json[] = [];
  let text = "";
  const flush = () => {
    if (message.role === "assistant") {
      // An easy input message: output items would need the vendor's ids, which store:false never keeps.
      if (text) items.push({ type: "message", role: "assistant", content: text });
    } else if (content.length > 0) {
      // A tool message without a call id (plain text) has no function_call_output to be; it reads as user input.
      const role = message.role === "tool" ? "user" : message.role;
      items.push({ type: "message", role, content: [...content] });
    }
    content.length = 0;
    text = "";
  };
  for (const part of partsOf(message.content)) {
    switch (part.type) {
      case "text":
        if (message.role === "assistant") text += part.text;
        else content.push({ type: "input_text", text: part.text });
        break;
      case "image":
        content.push({ type: "input_image", image_url: imageUrl(part), detail: "auto" });
        break;
      case "tool_call":
        flush();
        items.push({ type: "function_call", call_id: part.id, name: part.name, arguments: part.arguments });
        break;
      case "tool_result":
        flush();
        items.push({ type: "function_call_output", call_id: part.callId, output: part.content });
        break;
      case "thinking":
        // Reasoning goes back only as the vendor's encrypted reasoning items; plain text cannot.
        break;
    }
  }
  flush();
  return items;
}

function imageUrl(part: Extract<ContentPart, { type: "image" }>): string {
  const s = part.source;
  return s.kind === "url" ? s.url : `data:${s.mediaType};base64,${s.data}`;
}

function textParts(parts: readonly ContentPart[]): string {
  return parts.map((p) => (p.type === "text" ? p.text : "")).join("");
}
