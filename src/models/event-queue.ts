// What every vendor event mapper shares: the queue of StreamEvents an adapter takes after each
// network read, the stream's error held behind the text before it, and the two failure shapes.
import type { CallContext } from "./classify.js";
import type { SseItem } from "./transport.js";
import { ModelError, type StreamEvent } from "./types.js";

/**
 * Events queue until the adapter takes them; an error is thrown only after the text that came
 * before it, so the caller keeps that text.
 */
export abstract class EventQueue {
  protected readonly pending: StreamEvent[] = [];
  protected error: ModelError | undefined;

  constructor(protected readonly ctx: CallContext) {}

  /** Feeds one SSE message: its `event:` name (when the vendor sends one) and its data. */
  abstract onEvent(event: string | undefined, data: string): void;

  /** True once the vendor's end marker arrived: nothing after it matters. */
  abstract get ended(): boolean;

  /** Handles a server that ignored `stream:true` and answered one JSON document. */
  abstract fromJson(text: string): Generator<StreamEvent>;

  /** Called when the body ended: the last events and `done`, or the cut error. */
  abstract finish(): Generator<StreamEvent>;

  /** Yields what arrived so far, then throws the stream's error if one was seen. */
  *take(): Generator<StreamEvent> {
    while (this.pending.length > 0) yield this.pending.shift()!;
    if (this.error !== undefined) throw this.error;
  }

  /** Records a vendor-side failure (server_error); it is thrown after the text that came before it. */
  protected fail(what: string): void {
    this.error ??= new ModelError("server_error", `${this.ctx.provider}/${this.ctx.model} sent ${what}`, {
      provider: this.ctx.provider,
      model: this.ctx.model,
      url: this.ctx.url,
    });
  }

  /** The error for a body that ended before the vendor's end marker: the connection was cut. */
  protected cut(): ModelError {
    return new ModelError("network", `stream from ${this.ctx.url} ended before the reply was complete`, {
      provider: this.ctx.provider,
      model: this.ctx.model,
      url: this.ctx.url,
    });
  }
}

/**
 * One adapter stream: the transport's SSE messages through a vendor's mapper. `done` goes out as
 * soon as the end marker arrived; the transport drains the rest of the body in the background.
 * `items` is called at the first read, so an adapter's stream() starts nothing until then.
 * The mapper's sync generators are walked with for…of: `yield*` of a sync generator inside an
 * async one would add an await per event.
 */
export async function* mapEvents(
  items: () => AsyncIterable<SseItem[]>,
  events: EventQueue,
): AsyncGenerator<StreamEvent> {
  for await (const batch of items()) {
    for (const item of batch) {
      if (item.kind === "json") {
        for (const ev of events.fromJson(item.text)) yield ev;
        return;
      }
      events.onEvent(item.event, item.data);
      for (const ev of events.take()) yield ev;
      if (events.ended) break;
    }
    if (events.ended) break;
  }
  for (const ev of events.finish()) yield ev;
}
