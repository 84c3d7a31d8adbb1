// Turns Anthropic Messages SSE events (and a non-streamed Message) into StreamEvents.
import { EventQueue } from "./event-queue.js";
import { classifyAnthropicEvent } from "./anthropic-errors.js";
import { parseErrorBody } from "./classify.js";
import type { StreamEvent } from "./types.js";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const asCount = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;

/**
 * Anthropic's `stop_reason` → the normalised values (STOP_REASONS). A context window running out
 * mid-reply is a length stop as elsewhere; `pause_turn` and new values pass through as sent.
 */
export const ANTHROPIC_STOP_REASONS: Readonly<Record<string, string>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

/** One open content block: what kind it is, and for a tool_use its id, name and argument text. */
interface Block {
  type: string;
  /** The tool call's position among this reply's calls (tool_call_delta `index`). */
  call?: number;
  id?: string;
  name?: string;
  json?: string;
  /** `input` as content_block_start carried it, used when no input_json_delta follows. */
  startInput?: string;
  /** A thinking block's text so far: what its signature covers. */
  thinking?: string;
}

/**
 * Accumulates one stream's events. Events queue until the adapter takes them after each network
 * read; an error is queued behind the text that came before it so the caller keeps that text.
 */
export class MessageEvents extends EventQueue {
  readonly #blocks = new Map<number, Block>();
  #calls = 0;
  #stopReason: string | undefined;
  #model: string | undefined;
  #id: string | undefined;
  #input: number | undefined;
  #output: number | undefined;
  #cacheRead: number | undefined;
  #cacheWrite: number | undefined;
  #stopped = false;
  /** True once `message_stop` arrived: the reply is complete and `done` has been queued. */
  get ended(): boolean {
    return this.#stopped;
  }

  /** Feeds one SSE message: its `event:` name (the SDK dispatches on it) and its `data`. */
  onEvent(event: string | undefined, data: string): void {
    if (this.error !== undefined || this.#stopped) return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      json = undefined;
    }
    if (!isObject(json)) {
      this.fail(`a malformed chunk: ${JSON.stringify(data.slice(0, 200))}`);
      return;
    }
    // A proxy may drop the `event:` lines; every payload names its own type as well.
    this.#dispatch(event ?? asString(json["type"]) ?? "", json);
  }

  #dispatch(type: string, json: Json): void {
    switch (type) {
      case "message_start":
        return this.#onMessageStart(isObject(json["message"]) ? json["message"] : {});
      case "content_block_start":
        return this.#onBlockStart(json);
      case "content_block_delta":
        return this.#onBlockDelta(json);
      case "content_block_stop":
        return this.#onBlockStop(json);
      case "message_delta":
        if (isObject(json["delta"]))
          this.#stopReason = asString(json["delta"]["stop_reason"]) ?? this.#stopReason;
        return this.#onUsage(json["usage"]);
      case "message_stop":
        return this.#onStop();
      case "error": {
        const body = parseErrorBody(JSON.stringify(json));
        this.error = classifyAnthropicEvent(body, this.ctx);
        return;
      }
      default:
        // `ping`, and event types added later: the API reference says to ignore unknown ones.
        return;
    }
  }

  #onMessageStart(message: Json): void {
    this.#model ??= asString(message["model"]);
    this.#id ??= asString(message["id"]);
    this.#onUsage(message["usage"]);
  }

  /** Usage counts are cumulative: message_delta's replace message_start's where both are sent. */
  #onUsage(usage: unknown): void {
    if (!isObject(usage)) return;
    this.#input = asCount(usage["input_tokens"]) ?? this.#input;
    this.#output = asCount(usage["output_tokens"]) ?? this.#output;
    this.#cacheRead = asCount(usage["cache_read_input_tokens"]) ?? this.#cacheRead;
    this.#cacheWrite = asCount(usage["cache_creation_input_tokens"]) ?? this.#cacheWrite;
  }

  #onBlockStart(json: Json): void {
    const index = asCount(json["index"]) ?? 0;
    const block = isObject(json["content_block"]) ? json["content_block"] : {};
    const type = asString(block["type"]) ?? "unknown";
    if (type === "tool_use") {
      const call = this.#calls++;
      const id = asString(block["id"]) ?? `call_${call}`;
      const name = asString(block["name"]) ?? "";
      const input = block["input"];
      const startInput = isObject(input) && Object.keys(input).length > 0 ? JSON.stringify(input) : undefined;
      this.#blocks.set(index, { type, call, id, name, json: "", ...(startInput ? { startInput } : {}) });
      this.pending.push({ type: "tool_call_delta", index: call, id, name, argumentsDelta: "" });
      return;
    }
    // A block usually starts empty; text a start does carry is part of the reply all the same.
    const text =
      type === "text" ? asString(block["text"]) : type === "thinking" ? asString(block["thinking"]) : "";
    this.#blocks.set(index, type === "thinking" ? { type, thinking: text ?? "" } : { type });
    if (text) this.pending.push({ type: type === "text" ? "text" : "thinking", delta: text });
    // A whole message (a server that answered JSON) carries each thinking block's seal at once.
    const signature = type === "thinking" ? asString(block["signature"]) : undefined;
    if (signature) this.pending.push({ type: "thinking", delta: "", signature, signed: text ?? "" });
  }

  #onBlockDelta(json: Json): void {
    const delta = isObject(json["delta"]) ? json["delta"] : {};
    const block = this.#blocks.get(asCount(json["index"]) ?? 0);
    switch (delta["type"]) {
      case "text_delta": {
        const text = asString(delta["text"]);
        if (text) this.pending.push({ type: "text", delta: text });
        return;
      }
      case "thinking_delta": {
        const text = asString(delta["thinking"]);
        if (block?.type === "thinking" && text) block.thinking += text;
        if (text) this.pending.push({ type: "thinking", delta: text });
        return;
      }
      case "input_json_delta": {
        const part = asString(delta["partial_json"]);
        if (!part || block?.type !== "tool_use") return;
        block.json += part;
        this.pending.push({ type: "tool_call_delta", index: block.call!, argumentsDelta: part });
        return;
      }
      case "signature_delta": {
        // The reasoning block's seal: what lets the block be sent back on a later request.
        const signature = asString(delta["signature"]);
        if (signature)
          this.pending.push({ type: "thinking", delta: "", signature, signed: block?.thinking ?? "" });
        return;
      }
      default:
        // citations_delta: not part of a StreamEvent.
        return;
    }
  }

  #onBlockStop(json: Json): void {
    const index = asCount(json["index"]) ?? 0;
    const block = this.#blocks.get(index);
    this.#blocks.delete(index);
    if (block?.type !== "tool_use") return;
    const args = block.json || block.startInput || "{}";
    this.pending.push({ type: "tool_call", id: block.id!, name: block.name!, arguments: args });
  }

  #onStop(): void {
    this.#stopped = true;
    if (this.#input !== undefined || this.#output !== undefined) {
      // Cache counts are left out when zero or absent, so a reply without caching reads alike across vendors.
      this.pending.push({
        type: "usage",
        inputTokens: this.#input ?? 0,
        outputTokens: this.#output ?? 0,
        ...(this.#cacheRead ? { cacheReadTokens: this.#cacheRead } : {}),
        ...(this.#cacheWrite ? { cacheWriteTokens: this.#cacheWrite } : {}),
      });
    }
    const reason = this.#stopReason;
    this.pending.push({
      type: "done",
      stopReason: reason === undefined ? "unknown" : (ANTHROPIC_STOP_REASONS[reason] ?? reason),
      ...(this.#model !== undefined ? { responseModel: this.#model } : {}),
      ...(this.#id !== undefined ? { responseId: this.#id } : {}),
    });
  }

  /** Called when the body ended: without `message_stop` the connection was cut mid-reply. */
  *finish(): Generator<StreamEvent> {
    yield* this.take();
    if (!this.#stopped) {
      throw this.cut();
    }
  }

  /**
   * Handles a server that answered one JSON document: a whole Message (replayed through the same
   * event path), or an error object sent with a 2xx status.
   */
  *fromJson(text: string): Generator<StreamEvent> {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!isObject(body) || (body["type"] !== "message" && body["type"] !== "error")) {
      this.fail(`a malformed message: ${JSON.stringify(text.slice(0, 200))}`);
      yield* this.take();
      return;
    }
    if (body["type"] === "error") this.#dispatch("error", body);
    else this.#replay(body);
    yield* this.finish();
  }

  #replay(message: Json): void {
    this.#dispatch("message_start", { message });
    const content = Array.isArray(message["content"]) ? message["content"] : [];
    for (const [index, block] of content.entries()) {
      if (!isObject(block)) continue;
      this.#dispatch("content_block_start", { index, content_block: block });
      this.#dispatch("content_block_stop", { index });
    }
    this.#dispatch("message_delta", { delta: { stop_reason: message["stop_reason"] } });
    this.#dispatch("message_stop", {});
  }
}
