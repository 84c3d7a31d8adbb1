// Turns OpenAI chat-completions SSE data lines (and a non-streamed completion) into StreamEvents.
// Wire shapes: https://platform.openai.com/docs/api-reference/chat/streaming (ChatCompletionChunk).
import { EventQueue } from "./event-queue.js";
import { classifyStreamError, parseErrorBody } from "./classify.js";
import { OPENAI_ERROR_CODES } from "./openai-errors.js";
import type { StreamEvent } from "./types.js";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const asCount = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** finish_reason values mapped onto Keel's normalised stop reasons; others pass through. */
const FINISH_REASONS: Readonly<Record<string, string>> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool_calls",
  // The deprecated `functions` API's name for the same thing.
  function_call: "tool_calls",
  content_filter: "content_filter",
};

/** One tool call being assembled from `delta.tool_calls[]` fragments. */
interface CallBuild {
  index: number;
  id: string;
  name: string;
  arguments: string;
  closed: boolean;
}

/**
 * Accumulates one stream's chunks. Events queue until the adapter takes them after each network
 * read; an error is queued behind the text that came before it so the caller keeps that text.
 */
export class CompletionChunks extends EventQueue {
  #finishReason: string | undefined;
  #model: string | undefined;
  #id: string | undefined;
  #calls = new Map<number, CallBuild>();
  #openCall: CallBuild | undefined;
  #sawDone = false;
  /** True once `data: [DONE]` arrived: nothing after it matters. */
  get ended(): boolean {
    return this.#sawDone;
  }

  /** Feeds one SSE `data` payload (chat completions send no `event:` names). */
  onEvent(_event: string | undefined, data: string): void {
    if (this.error !== undefined || this.#sawDone) return;
    if (data.trim() === "[DONE]") {
      this.#sawDone = true;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      chunk = undefined;
    }
    if (!isObject(chunk)) {
      this.fail(`a malformed chunk: ${JSON.stringify(data.slice(0, 200))}`);
      return;
    }
    this.#onChunk(chunk, data);
  }

  #onChunk(chunk: Json, data: string): void {
    if (chunk["error"] !== undefined && chunk["error"] !== null) {
      // The raw line, not JSON.stringify(chunk): a deeply nested error would overflow the stack.
      this.error = classifyStreamError(parseErrorBody(data), this.ctx, OPENAI_ERROR_CODES);
      return;
    }
    this.#model ??= asString(chunk["model"]);
    this.#id ??= asString(chunk["id"]);
    // Only choice 0 is requested (n defaults to 1); other indexes would be a vendor bug.
    const choice = Array.isArray(chunk["choices"])
      ? chunk["choices"].find((c) => isObject(c) && (c["index"] ?? 0) === 0)
      : undefined;
    if (isObject(choice)) {
      if (isObject(choice["delta"])) this.#onDelta(choice["delta"]);
      const finish = asString(choice["finish_reason"]);
      if (finish === "error") {
        this.fail('finish_reason "error"');
        return;
      }
      if (finish) {
        this.#finishReason = finish;
        this.#closeCalls();
      }
    }
    if (isObject(chunk["usage"])) this.#onUsage(chunk["usage"]);
  }

  #onDelta(delta: Json): void {
    // vLLM and DeepSeek send `reasoning_content`, OpenRouter and Ollama `reasoning`.
    const thinking = asString(delta["reasoning_content"]) ?? asString(delta["reasoning"]);
    if (thinking) this.pending.push({ type: "thinking", delta: thinking });
    const text = asString(delta["content"]);
    if (text) this.pending.push({ type: "text", delta: text });
    if (Array.isArray(delta["tool_calls"])) {
      for (const fragment of delta["tool_calls"]) if (isObject(fragment)) this.#onToolFragment(fragment);
    }
  }

  /**
   * One `delta.tool_calls[]` entry: id and name come with a call's first fragment, arguments in
   * pieces after. Calls stream one after another, so a new index closes the call before it.
   */
  #onToolFragment(fragment: Json): void {
    const index = typeof fragment["index"] === "number" ? fragment["index"] : this.#calls.size;
    const fn = isObject(fragment["function"]) ? fragment["function"] : {};
    const id = asString(fragment["id"]);
    const name = asString(fn["name"]);
    const argumentsDelta = asString(fn["arguments"]) ?? "";
    let call = this.#calls.get(index);
    if (call?.closed) {
      // Its assembled call already went out; appending now would hand the caller a different call.
      this.fail(`more arguments for tool call ${index} after the next call started`);
      return;
    }
    if (call === undefined) {
      if (this.#openCall) this.#close(this.#openCall);
      // A server that sends no id still needs one: the tool's result must name the call it answers.
      call = { index, id: id ?? `call_${index}`, name: "", arguments: "", closed: false };
      this.#calls.set(index, call);
      this.#openCall = call;
    } else if (id !== undefined) call.id = id;
    if (name !== undefined) call.name += name;
    call.arguments += argumentsDelta;
    this.pending.push({
      type: "tool_call_delta",
      index,
      ...(id !== undefined ? { id } : {}),
      ...(name !== undefined ? { name } : {}),
      argumentsDelta,
    });
  }

  #close(call: CallBuild): void {
    call.closed = true;
    if (this.#openCall === call) this.#openCall = undefined;
    this.pending.push({ type: "tool_call", id: call.id, name: call.name, arguments: call.arguments });
  }

  #closeCalls(): void {
    for (const call of this.#calls.values()) if (!call.closed) this.#close(call);
  }

  #onUsage(usage: Json): void {
    const details = isObject(usage["prompt_tokens_details"]) ? usage["prompt_tokens_details"] : {};
    const cached = details["cached_tokens"];
    // prompt_tokens counts the cached ones too; inputTokens is the uncached part (types.ts).
    const prompt = asCount(usage["prompt_tokens"]);
    this.pending.push({
      type: "usage",
      inputTokens: typeof cached === "number" ? Math.max(0, prompt - asCount(cached)) : prompt,
      outputTokens: asCount(usage["completion_tokens"]),
      ...(typeof cached === "number" ? { cacheReadTokens: asCount(cached) } : {}),
    });
  }

  /**
   * The normalised stop reason. OpenAI reports "stop" when tool_choice forced a call, so a reply
   * that made calls ends in "tool_calls" whatever the server said short of length or a filter.
   */
  #stopReason(): string {
    const finish = this.#finishReason;
    const reason = finish === undefined ? "unknown" : (FINISH_REASONS[finish] ?? finish);
    return this.#calls.size > 0 && reason === "stop" ? "tool_calls" : reason;
  }

  /**
   * Called when the body ended. `[DONE]` or a finish_reason means the reply is complete (some
   * servers omit `[DONE]`); neither means the connection was cut mid-reply — a network failure.
   */
  *finish(): Generator<StreamEvent> {
    if (this.error === undefined && (this.#sawDone || this.#finishReason !== undefined)) this.#closeCalls();
    yield* this.take();
    if (!this.#sawDone && this.#finishReason === undefined) {
      throw this.cut();
    }
    yield {
      type: "done",
      stopReason: this.#stopReason(),
      ...(this.#model !== undefined ? { responseModel: this.#model } : {}),
      ...(this.#id !== undefined ? { responseId: this.#id } : {}),
    };
  }

  /** Handles a server that ignored `stream:true` and answered one JSON completion. */
  *fromJson(text: string): Generator<StreamEvent> {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!isObject(body)) {
      this.fail(`a malformed completion: ${JSON.stringify(text.slice(0, 200))}`);
      yield* this.take();
      return;
    }
    const choices = Array.isArray(body["choices"]) ? body["choices"] : [];
    const first = choices[0];
    const message = isObject(first) && isObject(first["message"]) ? first["message"] : {};
    // Re-expressed as one chunk so finish_reason "error" and usage take the same path as streaming.
    this.#onChunk(
      {
        ...body,
        choices: [
          {
            index: 0,
            delta: {
              content: message["content"],
              reasoning_content: message["reasoning_content"] ?? message["reasoning"],
              tool_calls: Array.isArray(message["tool_calls"])
                ? message["tool_calls"].map((c, index) => (isObject(c) ? { index, ...c } : c))
                : undefined,
            },
            finish_reason: isObject(first) ? first["finish_reason"] : null,
          },
        ],
      },
      text,
    );
    this.#sawDone = true;
    yield* this.finish();
  }
}
