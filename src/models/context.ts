// Fitting a prompt (system prompt + history + new message) into a model's context window.
import { textOf } from "./messages.js";
import { type ChatMessage, ModelError } from "./types.js";

/**
 * Tokens of framing per message (role markers, separators). OpenAI documents 3–4; 4 errs high.
 */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** Cap on the default reply reserve when the model configures no `maxTokens`. */
export const DEFAULT_REPLY_RESERVE_CAP = 4096;

/**
 * Estimates the tokens of a text without a tokenizer, erring high: ASCII counts ~4 characters per
 * token (English prose averages a little over 4), and every non-ASCII UTF-16 unit counts as a whole
 * token, since CJK, emoji and many scripts take one or more tokens per character. Wrong by a few
 * percent on prose; the reply reserve absorbs that.
 */
export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x80) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 4) + other;
}

/**
 * Tokens an image part is counted as: vendors charge by size (OpenAI ~85–1,100 for a detailed
 * image, Anthropic ~1,600 for a 1,092 px square); the estimate errs high without decoding it.
 */
export const IMAGE_TOKENS = 1_600;

/** Estimated tokens of one message including its framing. */
export function estimateMessageTokens(message: ChatMessage): number {
  if (typeof message.content === "string") return estimateTokens(message.content) + MESSAGE_OVERHEAD_TOKENS;
  let tokens = MESSAGE_OVERHEAD_TOKENS;
  for (const p of message.content) {
    if (p.type === "text" || p.type === "thinking") tokens += estimateTokens(p.text);
    else if (p.type === "image") tokens += IMAGE_TOKENS;
    else if (p.type === "tool_call") tokens += estimateTokens(p.name) + estimateTokens(p.arguments);
    else tokens += estimateTokens(p.content);
  }
  return tokens;
}

/**
 * Tokens kept free for the reply: the model's `maxTokens` when configured, else
 * min(4096, window/4) — but never more than half the window, so a model configured with
 * maxTokens equal to its window still gets a prompt.
 */
export function replyReserve(contextWindow: number, maxTokens?: number): number {
  const wanted = maxTokens ?? Math.min(DEFAULT_REPLY_RESERVE_CAP, Math.floor(contextWindow / 4));
  return Math.min(wanted, Math.floor(contextWindow / 2));
}

export interface FitInput {
  /** Empty or absent means no system message is sent. */
  systemPrompt?: string;
  /** Earlier turns, oldest first (a bounded page the caller read from the store). */
  history: readonly ChatMessage[];
  /** The new message that starts this turn. */
  message: ChatMessage;
  contextWindow: number;
  /** The model's configured `maxTokens`, if any (sets the reply reserve). */
  maxTokens?: number;
  /** For the context_length error: who would have been asked. */
  provider: string;
  model: string;
}

export interface FitResult {
  /** What to send: system prompt, the newest history that fits (in order), the new message. */
  messages: ChatMessage[];
  /** Estimated prompt tokens of `messages`. */
  promptTokens: number;
  /** Tokens left for the reply, capped by the model's `maxTokens`; a caller may pass it as `maxTokens`. */
  replyTokens: number;
  /** History messages left out (always the oldest). */
  omitted: number;
}

/**
 * Keeps the system prompt and the new message, then adds history newest-first while it fits in
 * `contextWindow - replyReserve`; the first message that does not fit stops the walk, so history
 * stays contiguous (no gaps that would make the model misread the conversation).
 * Throws ModelError kind `context_length` naming both sizes when the new message alone does not fit.
 */
export function fitContext(input: FitInput): FitResult {
  const budget = input.contextWindow - replyReserve(input.contextWindow, input.maxTokens);
  const system: ChatMessage[] = input.systemPrompt ? [{ role: "system", content: input.systemPrompt }] : [];
  const fixed = [...system, input.message].reduce((n, m) => n + estimateMessageTokens(m), 0);
  if (fixed > budget) {
    const what = system.length > 0 ? "the new message with the system prompt" : "the new message";
    throw new ModelError(
      "context_length",
      `${what} is ~${fixed} tokens but ${input.provider}/${input.model} has room for ${budget} ` +
        `(context window ${input.contextWindow} minus ${input.contextWindow - budget} reserved for the reply)`,
      { provider: input.provider, model: input.model },
    );
  }
  let used = fixed;
  let start = input.history.length;
  while (start > 0) {
    const cost = estimateMessageTokens(input.history[start - 1]!);
    if (used + cost > budget) break;
    used += cost;
    start--;
  }
  return {
    messages: [...system, ...input.history.slice(start), input.message],
    promptTokens: used,
    replyTokens: Math.min(input.contextWindow - used, input.maxTokens ?? Number.POSITIVE_INFINITY),
    omitted: start,
  };
}

/**
 * fitContext over a whole prompt as a provider request carries it: an optional leading system
 * message, the history, and the new message last.
 */
export function fitMessages(
  messages: readonly ChatMessage[],
  limits: { contextWindow: number; maxTokens?: number; provider: string; model: string },
): FitResult {
  const hasSystem = messages[0]?.role === "system";
  const message = messages[messages.length - 1];
  if (!message) throw new Error("fitMessages: a prompt needs at least the new message");
  return fitContext({
    ...limits,
    ...(hasSystem ? { systemPrompt: textOf(messages[0]!.content) } : {}),
    history: messages.slice(hasSystem ? 1 : 0, -1),
    message,
  });
}
