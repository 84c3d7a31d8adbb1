// Turns OpenAI chat-completions SSE data lines (and a non-streamed completion) into StreamEvents.
import { type CallContext, classifyStreamError, parseErrorBody } from "./classify.js";
import { ModelError, type StreamEvent } from "./types.js";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const asCount = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/**
 * Accumulates one stream's chunks. Events queue until the adapter takes them after each network
 * read; an error is queued behind the text that came before it so the caller keeps that text.
 */
export class CompletionChunks {
  #pending: StreamEvent[] = [];
  #error: ModelError | undefined;
  #finishReason: string | undefined;
  #model: string | undefined;
  #id: string | undefined;
  #sawDone = false;
  readonly #ctx: CallContext;

  constructor(ctx: CallContext) {
    this.#ctx = ctx;
  }

  /** True once `data: [DONE]` arrived: nothing after it matters. */
  get sawDone(): boolean {
    return this.#sawDone;
  }

  /** Feeds one SSE `data` payload. */
  onData(data: string): void {
    if (this.#error !== undefined || this.#sawDone) return;
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
      this.#error = classifyStreamError(parseErrorBody(data), this.#ctx);
      return;
    }
    this.#model ??= asString(chunk["model"]);
    this.#id ??= asString(chunk["id"]);
    // Only choice 0 is requested (n defaults to 1); other indexes would be a vendor bug.
    const choice = Array.isArray(chunk["choices"])
      ? chunk["choices"].find((c) => isObject(c) && (c["index"] ?? 0) === 0)
      : undefined;
    if (isObject(choice)) {
      const delta = isObject(choice["delta"]) ? asString(choice["delta"]["content"]) : undefined;
      if (delta) this.#pending.push({ type: "text", delta });
      const finish = asString(choice["finish_reason"]);
      if (finish === "error") {
        this.fail('finish_reason "error"');
        return;
      }
      if (finish) this.#finishReason = finish;
    }
    if (isObject(chunk["usage"])) {
      const usage = chunk["usage"];
      this.#pending.push({
        type: "usage",
        inputTokens: asCount(usage["prompt_tokens"]),
        outputTokens: asCount(usage["completion_tokens"]),
      });
    }
  }

  /** Yields what arrived so far, then throws the stream's error if one was seen. */
  *take(): Generator<StreamEvent> {
    while (this.#pending.length > 0) yield this.#pending.shift()!;
    if (this.#error !== undefined) throw this.#error;
  }

  /**
   * Called when the body ended. `[DONE]` or a finish_reason means the reply is complete (some
   * servers omit `[DONE]`); neither means the connection was cut mid-reply — a network failure.
   */
  *finish(): Generator<StreamEvent> {
    yield* this.take();
    if (!this.#sawDone && this.#finishReason === undefined) {
      throw new ModelError("network", `stream from ${this.#ctx.url} ended before the reply was complete`, {
        provider: this.#ctx.provider,
        model: this.#ctx.model,
        url: this.#ctx.url,
      });
    }
    yield {
      type: "done",
      stopReason: this.#finishReason ?? "unknown",
      ...(this.#model !== undefined ? { responseModel: this.#model } : {}),
      ...(this.#id !== undefined ? { responseId: this.#id } : {}),
    };
  }

  /** Handles a server that ignored `stream:true` and answered one JSON completion. */
  *fromCompletion(text: string): Generator<StreamEvent> {
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
            delta: { content: message["content"] },
            finish_reason: isObject(first) ? first["finish_reason"] : null,
          },
        ],
      },
      text,
    );
    this.#sawDone = true;
    yield* this.finish();
  }

  /** Records a vendor-side failure (server_error); it is thrown after the text that came before it. */
  fail(what: string): void {
    this.#error ??= new ModelError("server_error", `${this.#label()} sent ${what}`, {
      provider: this.#ctx.provider,
      model: this.#ctx.model,
      url: this.#ctx.url,
    });
  }

  #label(): string {
    return `${this.#ctx.provider}/${this.#ctx.model}`;
  }
}
