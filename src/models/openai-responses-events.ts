// Turns the OpenAI Responses API's SSE events (`response.*`, `error`) into StreamEvents.
import { EventQueue } from "./event-queue.js";
import type { ErrorBody } from "./classify.js";
import { classifyResponsesStreamError } from "./openai-responses-errors.js";
import type { StreamEvent } from "./types.js";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const asCount = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** `response.incomplete` reasons (incomplete_details.reason) and the normalised stop reason of each. */
const INCOMPLETE_REASONS: Readonly<Record<string, string>> = {
  max_output_tokens: "length",
  content_filter: "content_filter",
};

/** A function call being streamed: keyed by its output item id, sent once complete. */
interface PendingCall {
  index: number;
  callId: string;
  name: string;
  arguments: string;
  sent: boolean;
}

/**
 * Accumulates one response's events. Events queue until the adapter takes them after each read;
 * an error queues behind what came before it so the caller keeps the partial text.
 */
export class ResponsesEvents extends EventQueue {
  #stopReason: string | undefined;
  #model: string | undefined;
  #id: string | undefined;
  #calls = new Map<string, PendingCall>();
  #refused = false;
  /** True once a terminal event (completed, incomplete, failed, error) arrived: nothing after it matters. */
  get ended(): boolean {
    return this.#stopReason !== undefined || this.error !== undefined;
  }

  /** Feeds one SSE message; the payload's own `type` names it (the `event:` line repeats it). */
  onEvent(name: string | undefined, data: string): void {
    if (this.ended) return;
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      event = undefined;
    }
    if (!isObject(event)) {
      this.fail(`a malformed chunk: ${JSON.stringify(data.slice(0, 200))}`);
      return;
    }
    this.#dispatch(asString(event["type"]) ?? name ?? "", event);
  }

  #dispatch(type: string, e: Json): void {
    switch (type) {
      case "response.created":
      case "response.in_progress":
        return this.#onResponse(e["response"]);
      case "response.output_text.delta":
        return this.#push({ type: "text", delta: asString(e["delta"]) ?? "" });
      case "response.refusal.delta":
        // The refusal is what the user should read; the stop reason says it was one.
        this.#refused = true;
        return this.#push({ type: "text", delta: asString(e["delta"]) ?? "" });
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta":
        return this.#push({ type: "thinking", delta: asString(e["delta"]) ?? "" });
      case "response.output_item.added":
        return this.#onItemAdded(e["item"]);
      case "response.function_call_arguments.delta":
        return this.#onArgumentsDelta(asString(e["item_id"]), asString(e["delta"]) ?? "");
      case "response.function_call_arguments.done":
        return this.#completeCall(asString(e["item_id"]), asString(e["arguments"]));
      case "response.output_item.done":
        return this.#onItemDone(e["item"]);
      case "response.completed":
      case "response.incomplete":
        return this.#onEnd(e["response"]);
      case "response.failed":
        return this.#onFailed(e["response"]);
      case "error":
        return this.#raise({ message: asString(e["message"]) ?? "", ...codeOf(e["code"]) }, "an error event");
      default:
      // Content-part, done and tool-progress events repeat what the deltas carried.
    }
  }

  #onResponse(response: unknown): void {
    if (!isObject(response)) return;
    this.#model ??= asString(response["model"]);
    this.#id ??= asString(response["id"]);
  }

  #onItemAdded(item: unknown): void {
    if (!isObject(item) || item["type"] !== "function_call") return;
    const key = asString(item["id"]) ?? asString(item["call_id"]) ?? `call-${this.#calls.size}`;
    const call: PendingCall = {
      index: this.#calls.size,
      callId: asString(item["call_id"]) ?? key,
      name: asString(item["name"]) ?? "",
      arguments: asString(item["arguments"]) ?? "",
      sent: false,
    };
    this.#calls.set(key, call);
    // Id and name go out first, as the StreamEvent contract says.
    this.#push({
      type: "tool_call_delta",
      index: call.index,
      id: call.callId,
      name: call.name,
      argumentsDelta: call.arguments,
    });
  }

  #onArgumentsDelta(itemId: string | undefined, delta: string): void {
    const call = itemId === undefined ? undefined : this.#calls.get(itemId);
    if (call === undefined || call.sent) return;
    call.arguments += delta;
    this.#push({ type: "tool_call_delta", index: call.index, argumentsDelta: delta });
  }

  #onItemDone(item: unknown): void {
    if (!isObject(item) || item["type"] !== "function_call") return;
    this.#completeCall(asString(item["id"]) ?? asString(item["call_id"]), asString(item["arguments"]));
  }

  /** Sends the assembled call once; the vendor's final `arguments` wins over the summed deltas. */
  #completeCall(itemId: string | undefined, finalArguments: string | undefined): void {
    const call = itemId === undefined ? undefined : this.#calls.get(itemId);
    if (call === undefined || call.sent) return;
    call.sent = true;
    if (finalArguments !== undefined) call.arguments = finalArguments;
    this.#push({ type: "tool_call", id: call.callId, name: call.name, arguments: call.arguments });
  }

  #onEnd(response: unknown): void {
    const r = isObject(response) ? response : {};
    this.#onResponse(r);
    // A call whose done events never came is still complete once the response is.
    for (const [key, call] of this.#calls) if (!call.sent) this.#completeCall(key, undefined);
    this.#pushUsage(r["usage"]);
    const details = isObject(r["incomplete_details"]) ? r["incomplete_details"] : {};
    const reason = asString(details["reason"]);
    if (r["status"] === "incomplete" || reason !== undefined) {
      this.#stopReason = reason === undefined ? "unknown" : (INCOMPLETE_REASONS[reason] ?? reason);
    } else if (this.#calls.size > 0) this.#stopReason = "tool_calls";
    else this.#stopReason = this.#refused ? "content_filter" : "stop";
  }

  #onFailed(response: unknown): void {
    const r = isObject(response) ? response : {};
    this.#onResponse(r);
    const err = isObject(r["error"]) ? r["error"] : {};
    const message = asString(err["message"]) ?? "response.failed without an error object";
    this.#raise({ message, ...codeOf(err["code"]) }, "response.failed");
  }

  #pushUsage(usage: unknown): void {
    if (!isObject(usage)) return;
    const details = isObject(usage["input_tokens_details"]) ? usage["input_tokens_details"] : {};
    // input_tokens includes the cached ones (inputTokens is the uncached part, types.ts); a zero
    // count is left out like an absent one.
    const cached = asCount(details["cached_tokens"]);
    this.#push({
      type: "usage",
      inputTokens: Math.max(0, asCount(usage["input_tokens"]) - cached),
      outputTokens: asCount(usage["output_tokens"]),
      ...(cached > 0 ? { cacheReadTokens: cached } : {}),
    });
  }

  #push(event: StreamEvent): void {
    if (event.type === "text" || event.type === "thinking") {
      if (event.delta === "") return;
    }
    this.pending.push(event);
  }

  #raise(body: ErrorBody, what: string): void {
    this.error ??= classifyResponsesStreamError(body, this.ctx, what);
  }

  /** Called when the body ended: without a terminal event the connection was cut mid-reply. */
  *finish(): Generator<StreamEvent> {
    yield* this.take();
    if (this.#stopReason === undefined) {
      throw this.cut();
    }
    yield {
      type: "done",
      stopReason: this.#stopReason,
      ...(this.#model !== undefined ? { responseModel: this.#model } : {}),
      ...(this.#id !== undefined ? { responseId: this.#id } : {}),
    };
  }

  /** Handles a server that ignored `stream:true` and answered one Response object (or an error). */
  *fromJson(text: string): Generator<StreamEvent> {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!isObject(body)) this.fail(`a malformed response: ${JSON.stringify(text.slice(0, 200))}`);
    else if (body["status"] === "failed" || isObject(body["error"])) this.#onFailed(body);
    else this.#replay(body);
    yield* this.finish();
  }

  /** Re-expresses a whole Response's output items as the events a stream would have sent. */
  #replay(response: Json): void {
    this.#onResponse(response);
    for (const item of Array.isArray(response["output"]) ? response["output"] : []) {
      if (!isObject(item)) continue;
      const parts = Array.isArray(item["content"]) ? item["content"] : [];
      const summary = Array.isArray(item["summary"]) ? item["summary"] : [];
      if (item["type"] === "message") {
        for (const p of parts) {
          if (!isObject(p)) continue;
          if (p["type"] === "refusal") this.#dispatch("response.refusal.delta", { delta: p["refusal"] });
          else this.#push({ type: "text", delta: asString(p["text"]) ?? "" });
        }
      } else if (item["type"] === "reasoning") {
        for (const p of summary)
          if (isObject(p)) this.#push({ type: "thinking", delta: asString(p["text"]) ?? "" });
      } else if (item["type"] === "function_call") {
        this.#onItemAdded({ ...item, arguments: "" });
        this.#onItemDone(item);
      }
    }
    this.#onEnd(response);
  }
}

function codeOf(code: unknown): { code?: string } {
  const c = asString(code);
  return c ? { code: c } : {};
}
