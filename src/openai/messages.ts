// A Chat Completions `messages[]` as Keel's conversation: the system text, the earlier messages a
// session should hold, and the last message, which becomes the run's own (text, images, tool results).
import { dataUrl, readInlineImage } from "../models/images.js";
import type { ContentPart, ImageSource } from "../models/messages.js";
import { badField } from "./errors.js";

/** One message as the session stores it: tool results are a user row of tool_result parts. */
export interface ConversationMessage {
  role: "user" | "assistant";
  /** The plain text (what the transcript lists and search read). */
  content: string;
  /** Rich parts, only when there is more than text. */
  parts?: ContentPart[];
}

export interface Conversation {
  /** The system and developer messages' text, joined (the agent's own prompt comes first). */
  system: string;
  /** Everything before the last message, in order. */
  earlier: ConversationMessage[];
  /** The message this request asks the model to answer: the last user message, or the tool results that end the list. */
  last: ConversationMessage;
}

/** How image parts are accepted. */
export interface ImagePolicy {
  allowRemoteUrls: boolean;
  maxPerRequest: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads `messages` (already known to be a non-empty array). Each problem is a 400 naming the
 * field (`messages[2].content[0].image_url.url`). The list must end with a user message or with
 * tool results: a list ending with the assistant's own message has nothing to answer.
 */
export function readConversation(messages: readonly unknown[], images: ImagePolicy): Conversation {
  const system: string[] = [];
  const turns: ConversationMessage[] = [];
  const counter = { images: 0, policy: images };
  messages.forEach((raw, i) => {
    const at = `messages[${i}]`;
    if (!isObject(raw)) throw badField(at, "must be an object");
    const role = raw["role"];
    if (role === "system" || role === "developer") {
      system.push(textContent(raw["content"], `${at}.content`));
      return;
    }
    const message =
      role === "user"
        ? userMessage(raw, at, counter)
        : role === "assistant"
          ? assistantMessage(raw, at)
          : role === "tool"
            ? toolMessage(raw, at)
            : undefined;
    if (!message) throw badField(`${at}.role`, "must be one of system, developer, user, assistant, tool");
    const prev = turns[turns.length - 1];
    // Consecutive tool results answer one assistant turn: they travel as one message.
    if (role === "tool" && prev && isToolResults(prev)) prev.parts!.push(...message.parts!);
    else turns.push(message);
  });
  const last = turns.pop();
  if (!last || last.role !== "user") {
    throw badField("messages", "must end with a user message or tool results (there is nothing to answer)");
  }
  return { system: system.filter(Boolean).join("\n\n"), earlier: turns, last };
}

function isToolResults(m: ConversationMessage): boolean {
  return (
    m.role === "user" &&
    m.parts !== undefined &&
    m.parts.length > 0 &&
    m.parts.every((p) => p.type === "tool_result")
  );
}

/** A content that may only be text: a string, or a list of text parts. */
function textContent(content: unknown, at: string): string {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  if (!Array.isArray(content)) throw badField(at, "must be a string or an array of content parts");
  return content
    .map((part, j) => {
      if (!isObject(part) || (part["type"] !== "text" && part["type"] !== "refusal")) {
        throw badField(`${at}[${j}]`, 'must be a part of type "text"');
      }
      const text = part["type"] === "text" ? part["text"] : part["refusal"];
      if (typeof text !== "string") throw badField(`${at}[${j}].${String(part["type"])}`, "must be a string");
      return text;
    })
    .join("");
}

function userMessage(
  raw: Json,
  at: string,
  counter: { images: number; policy: ImagePolicy },
): ConversationMessage {
  const content = raw["content"];
  if (typeof content === "string") return { role: "user", content };
  if (!Array.isArray(content))
    throw badField(`${at}.content`, "must be a string or an array of content parts");
  const parts: ContentPart[] = content.map((part, j): ContentPart => {
    const pat = `${at}.content[${j}]`;
    if (!isObject(part)) throw badField(pat, "must be an object");
    if (part["type"] === "text") {
      if (typeof part["text"] !== "string") throw badField(`${pat}.text`, "must be a string");
      return { type: "text", text: part["text"] };
    }
    if (part["type"] === "image_url") {
      if (++counter.images > counter.policy.maxPerRequest) {
        throw badField(
          pat,
          `too many images (limit ${counter.policy.maxPerRequest}, gateway.http.images.maxPerRequest)`,
        );
      }
      const url = isObject(part["image_url"]) ? part["image_url"]["url"] : undefined;
      if (typeof url !== "string") throw badField(`${pat}.image_url.url`, "must be a string");
      return { type: "image", source: imageSource(url, `${pat}.image_url.url`, counter.policy) };
    }
    throw badField(`${pat}.type`, 'must be "text" or "image_url"', "unsupported_content_type");
  });
  const text = parts.every((p) => p.type === "text");
  const joined = parts.map((p) => (p.type === "text" ? p.text : "")).join("");
  return text ? { role: "user", content: joined } : { role: "user", content: joined, parts };
}

/**
 * A data URL as inline base64 (checked and typed by its bytes, as chat.send attachments are); an
 * http(s) URL only where remote images are allowed.
 */
function imageSource(url: string, at: string, policy: ImagePolicy): ImageSource {
  const inline = dataUrl(url);
  if (inline) {
    const image = readInlineImage(inline.base64, inline.declared);
    if ("problem" in image) throw badField(at, image.message, "invalid_image");
    return { kind: "base64", mediaType: image.mediaType, data: image.data };
  }
  if (/^https?:\/\//i.test(url)) {
    if (!policy.allowRemoteUrls) {
      throw badField(
        at,
        "remote image URLs are off (send a data: URL, or set gateway.http.images.allowRemoteUrls)",
        "remote_image_urls_disabled",
      );
    }
    return { kind: "url", url };
  }
  throw badField(at, "must be a data:<type>;base64 URL or an http(s) URL");
}

function assistantMessage(raw: Json, at: string): ConversationMessage {
  const text = textContent(raw["content"], `${at}.content`);
  const calls = raw["tool_calls"];
  if (calls === undefined || calls === null) return { role: "assistant", content: text };
  if (!Array.isArray(calls)) throw badField(`${at}.tool_calls`, "must be an array");
  const parts: ContentPart[] = text ? [{ type: "text", text }] : [];
  calls.forEach((call, j) => {
    const cat = `${at}.tool_calls[${j}]`;
    const fn = isObject(call) ? call["function"] : undefined;
    if (!isObject(call) || typeof call["id"] !== "string" || !isObject(fn)) {
      throw badField(cat, 'must be {id, type: "function", function: {name, arguments}}');
    }
    if (typeof fn["name"] !== "string") throw badField(`${cat}.function.name`, "must be a string");
    const args = fn["arguments"] ?? "";
    if (typeof args !== "string") throw badField(`${cat}.function.arguments`, "must be a string (JSON text)");
    parts.push({ type: "tool_call", id: call["id"], name: fn["name"], arguments: args });
  });
  return parts.length > 0 && calls.length > 0
    ? { role: "assistant", content: text, parts }
    : { role: "assistant", content: text };
}

function toolMessage(raw: Json, at: string): ConversationMessage {
  const id = raw["tool_call_id"];
  if (typeof id !== "string" || id.length === 0)
    throw badField(`${at}.tool_call_id`, "must be a non-empty string");
  const content = textContent(raw["content"], `${at}.content`);
  return { role: "user", content, parts: [{ type: "tool_result", callId: id, content }] };
}
