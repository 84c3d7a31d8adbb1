// A StreamRequest as an Anthropic Messages request body: system on top, blocks, alternation, tools, thinking.
import { type ContentPart, partsOf } from "./messages.js";
import type { ReasoningEffort, StreamRequest, ToolChoice } from "./types.js";

type Json = Record<string, unknown>;
type Block = Json;

/** `max_tokens` is required by the API; this is sent when neither the request nor the model sets one. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/** Thinking budgets per reasoning effort (the API's minimum is 1024). */
export const THINKING_BUDGETS: Readonly<Record<ReasoningEffort, number>> = {
  low: 1024,
  medium: 4096,
  high: 16384,
};

/**
 * The request body (stream:true). What the API would reject is shaped here rather than sent:
 * - consecutive messages of one role are merged (the API requires user/assistant alternation),
 *   and a user message's tool_result blocks go first (the API requires that order);
 * - empty text parts are dropped (the API rejects empty text blocks), and so are thinking parts
 *   without their signature (the API checks it); a sealed one goes back first in its message;
 * - with thinking: `temperature` is left out and `top_p` raised to at least 0.95 (the extended
 *   thinking guide allows neither otherwise), max_tokens grows by the budget when it does not
 *   exceed it, and a forced tool choice (`required` / a named tool) wins over thinking, which is
 *   then not requested (the API refuses the pair); so is thinking for a request that answers tool
 *   results when the assistant message with those calls does not start with a sealed thinking
 *   block (the API requires one then, and an OpenAI-shaped conversation cannot carry it);
 * - temperature is capped at 1 (Anthropic's range is 0–1; OpenAI clients may send up to 2).
 */
export function anthropicBody(request: StreamRequest): Json {
  const tools = request.tools ?? [];
  const forced =
    tools.length > 0 && (request.toolChoice === "required" || typeof request.toolChoice === "object");
  // Sealed reasoning goes back only to a request that thinks too; a tool turn without a seal
  // cannot think (see above), and is then built again without the reasoning blocks.
  let thinks = request.reasoning !== undefined && !forced;
  let { system, messages } = anthropicMessages(request, thinks);
  if (thinks && unsealedToolTurn(messages)) {
    thinks = false;
    ({ system, messages } = anthropicMessages(request, false));
  }
  let maxTokens = request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
  const body: Json = { model: request.model, max_tokens: maxTokens, messages, stream: true };
  if (system) body["system"] = system;
  if (tools.length > 0) {
    body["tools"] = tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      input_schema: t.parameters,
    }));
    if (request.toolChoice !== undefined) body["tool_choice"] = toolChoice(request.toolChoice);
  }
  const budget = thinks && request.reasoning !== undefined ? THINKING_BUDGETS[request.reasoning] : undefined;
  if (budget !== undefined) {
    if (maxTokens <= budget) maxTokens += budget;
    body["max_tokens"] = maxTokens;
    body["thinking"] = { type: "enabled", budget_tokens: budget };
    if (request.topP !== undefined) body["top_p"] = Math.min(1, Math.max(0.95, request.topP));
  } else {
    if (request.temperature !== undefined)
      body["temperature"] = Math.min(1, Math.max(0, request.temperature));
    if (request.topP !== undefined) body["top_p"] = request.topP;
  }
  if (request.stop !== undefined && request.stop.length > 0) body["stop_sequences"] = request.stop;
  return body;
}

/**
 * True when the request answers tool calls (its last message carries tool_result blocks) and
 * the turn's first assistant message (the one after the last user message that is more than tool
 * results) does not start with a thinking block: with thinking on, the API refuses it.
 */
function unsealedToolTurn(messages: readonly Json[]): boolean {
  const blocks = (m: Json | undefined) => (Array.isArray(m?.["content"]) ? (m["content"] as Block[]) : []);
  const toolResults = (m: Json) =>
    m["role"] === "user" &&
    Array.isArray(m["content"]) &&
    blocks(m).every((b) => b["type"] === "tool_result");
  const last = messages.at(-1);
  if (last === undefined || !toolResults(last)) return false;
  let start = messages.length - 1;
  while (start > 0 && (messages[start - 1]!["role"] === "assistant" || toolResults(messages[start - 1]!)))
    start--;
  const first = messages[start];
  return first?.["role"] !== "assistant" || blocks(first)[0]?.["type"] !== "thinking";
}

function toolChoice(choice: ToolChoice): Json {
  if (choice === "required") return { type: "any" };
  if (typeof choice === "object") return { type: "tool", name: choice.name };
  return { type: choice };
}

/**
 * System text lifted out, the rest as alternating user/assistant messages of content blocks;
 * sealed thinking parts become thinking blocks only for a request that thinks (`thinking`).
 */
export function anthropicMessages(
  request: Pick<StreamRequest, "messages" | "model">,
  thinking = false,
): {
  system: string;
  messages: Json[];
} {
  const system: string[] = [];
  const { model } = request;
  const merged: { role: "user" | "assistant"; blocks: Block[] }[] = [];
  for (const message of request.messages) {
    const parts = partsOf(message.content);
    if (message.role === "system") {
      for (const p of parts) if (p.type === "text" && p.text) system.push(p.text);
      continue;
    }
    const role = message.role === "assistant" ? "assistant" : "user";
    const blocks = parts.flatMap((p) =>
      blockOf(p, role, thinking && message.role === "assistant" ? model : undefined),
    );
    if (blocks.length === 0) continue;
    const last = merged.at(-1);
    // Reasoning may only open a message: a reply merged into the one before it loses its own.
    if (last?.role === role)
      last.blocks.push(...(role === "assistant" ? blocks.filter((b) => b["type"] !== "thinking") : blocks));
    else merged.push({ role, blocks });
  }
  const messages = merged.map(({ role, blocks }) => {
    const ordered = role === "user" ? toolResultsFirst(blocks) : blocks;
    // One text block goes as a plain string, the API's short form.
    const only = ordered.length === 1 ? ordered[0]! : undefined;
    return { role, content: only?.["type"] === "text" ? only["text"] : ordered };
  });
  return { system: system.join("\n\n"), messages };
}

function toolResultsFirst(blocks: Block[]): Block[] {
  const results = blocks.filter((b) => b["type"] === "tool_result");
  return results.length === 0 ? blocks : [...results, ...blocks.filter((b) => b["type"] !== "tool_result")];
}

/**
 * One part as the block(s) the API expects in a message of `role`. `sealedFor`: the model a
 * request that thinks is sent to; a sealed thinking part of that model goes back, nothing else.
 */
function blockOf(part: ContentPart, role: "user" | "assistant", sealedFor: string | undefined): Block[] {
  switch (part.type) {
    case "text":
      return part.text ? [{ type: "text", text: part.text }] : [];
    case "image": {
      const { source } = part;
      return [
        {
          type: "image",
          source:
            source.kind === "url"
              ? { type: "url", url: source.url }
              : { type: "base64", media_type: source.mediaType, data: source.data },
        },
      ];
    }
    case "tool_call":
      // A call only exists on the assistant's side; anywhere else the API would reject it.
      return role === "assistant"
        ? [{ type: "tool_use", id: part.id, name: part.name, input: toolInput(part.arguments) }]
        : [];
    case "tool_result":
      // Results go back on the user's side (a `tool` message becomes a user message).
      return role === "user"
        ? [
            {
              type: "tool_result",
              tool_use_id: part.callId,
              content: part.content,
              ...(part.isError ? { is_error: true } : {}),
            },
          ]
        : [];
    case "thinking":
      // Only a sealed block goes back, and only to the model that wrote it: the API checks the
      // signature, which covers the block's text exactly as that model wrote it.
      return sealedFor !== undefined && part.model === sealedFor && part.signature && part.text
        ? [{ type: "thinking", thinking: part.text, signature: part.signature }]
        : [];
  }
}

/**
 * `input` must be a JSON object. A model that wrote arguments that do not parse (or are not an
 * object) gets `{}` back: the API would refuse the whole conversation otherwise.
 */
function toolInput(args: string): Json {
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Json;
  } catch {
    // fall through
  }
  return {};
}
