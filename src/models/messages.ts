// What a prompt is made of: messages whose content is text or a list of parts (text, image, tool
// call, tool result, thinking), the tools a request offers, and the helpers every adapter shares.

/** An image, by URL or inline (base64 with its media type). */
export type ImageSource = { kind: "url"; url: string } | { kind: "base64"; mediaType: string; data: string };

/** One part of a message's content. */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image"; source: ImageSource }
  /** A call the assistant made: `arguments` is the JSON text the model wrote. */
  | { type: "tool_call"; id: string; name: string; arguments: string }
  /** What a tool answered to call `callId`; `isError` marks a failed call. */
  | { type: "tool_result"; callId: string; content: string; isError?: boolean }
  /** The model's reasoning, kept apart from the reply (stored, shown, never sent as reply text). */
  | { type: "thinking"; text: string };

export type Role = "system" | "user" | "assistant" | "tool";

/** One message of a prompt, in the order the model reads it. A plain string is one text part. */
export interface ChatMessage {
  role: Role;
  content: string | readonly ContentPart[];
}

/** A tool the model may call: name, description and a JSON Schema for its arguments. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

/** Whether and which tool the model must call. */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

/** The shape a reply must take: free text, any JSON object, or JSON matching a named schema. */
export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      name: string;
      schema: Record<string, unknown>;
      strict?: boolean;
      description?: string;
    };

/** How hard a reasoning model should think (OpenAI `reasoning.effort`, Anthropic `thinking` budget). */
export type ReasoningEffort = "low" | "medium" | "high";

/** The parts of a message (a string is one text part). */
export function partsOf(content: ChatMessage["content"]): readonly ContentPart[] {
  return typeof content === "string" ? (content ? [{ type: "text", text: content }] : []) : content;
}

/** The text of a message: its text parts joined (images, tool parts and thinking left out). */
export function textOf(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  let out = "";
  for (const p of content) if (p.type === "text") out += p.text;
  return out;
}

/**
 * Normalised stop reasons: every adapter maps its vendor's value onto these; anything else is
 * passed through as the vendor sent it.
 */
export const STOP_REASONS = ["stop", "length", "tool_calls", "content_filter", "error"] as const;
