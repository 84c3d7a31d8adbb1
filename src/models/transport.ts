// The HTTP side of every adapter: undici requests over one keep-alive pool per provider (capped),
// through the outbound proxy when one is set, with the connect and idle watchdogs, SSE parsing,
// error bodies read under a cap, and the abort contract of ModelProvider.
import type { IncomingHttpHeaders } from "node:http";
import { createParser } from "eventsource-parser";
import { Agent, type Dispatcher, EnvHttpProxyAgent } from "undici";
import type { OutboundProxy } from "../config/paths.js";
import { type CallContext, classifyHttpError, classifyNetworkError } from "./classify.js";
import { Exchange } from "./exchange.js";
import { ModelError } from "./types.js";
import { Watchdog } from "./watchdog.js";

/** An error body past this is cut: only its message and code matter, and a proxy may send a page. */
const ERROR_BODY_CAP = 64 * 1024;
/** Cap on one SSE event still being assembled: a vendor sending a line without end cannot grow the heap. */
export const MAX_EVENT_CHARS = 1024 * 1024;
/** Cap on a non-streamed JSON answer; past it the cut JSON fails to parse (server_error). */
const MAX_JSON_CHARS = 16 * 1024 * 1024;
/** After the stream's end marker, how much of the body may still be read so the socket is reused. */
const DRAIN_BYTES = 64 * 1024;

export interface TransportOptions {
  /** Idle watchdog: the longest gap between body bytes (s). */
  timeoutSeconds: number;
  /** Connect and first-byte deadline (ms). */
  connectTimeoutMs: number;
  /** Sockets this provider may hold open at once; more requests queue on the pool. */
  maxConnections: number;
  proxy?: OutboundProxy;
}

/** One SSE message, or the whole body when a server answered JSON to a streaming request. */
export type SseItem =
  { kind: "event"; event: string | undefined; data: string } | { kind: "json"; text: string };

/** Maps a non-2xx answer to a ModelError (each vendor has its own table; see classify.ts). */
export type HttpClassifier = (status: number, text: string, headers: Headers, ctx: CallContext) => ModelError;

export interface PostOptions {
  url: string;
  model: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal;
  classify?: HttpClassifier;
  /**
   * The vendor's end marker (`[DONE]`, `message_stop`, …). Once one went out, a caller that stops
   * reading leaves the socket to a short drain back into the pool; stopping before one (or an
   * error) closes the connection, so the vendor sees the caller leave.
   */
  isEnd?: (item: SseItem) => boolean;
}

/**
 * One per provider. `sse()` yields the SSE messages of a 2xx answer, one batch per network read
 * (a read often carries several; a hand-over each would cost a promise per message). The caller
 * stops reading when its vendor's end marker arrived, and the rest of the body is drained in the
 * background so the keep-alive socket goes back to the pool. Every failure is thrown as a ModelError, except
 * that an abort of the caller's signal throws `signal.reason` as is.
 */
export class ProviderTransport {
  readonly #dispatcher: Dispatcher;
  /** Each URL posted to, split once into what dispatch() takes. */
  readonly #targets = new Map<string, { origin: string; path: string }>();

  constructor(
    readonly providerId: string,
    private readonly options: TransportOptions,
  ) {
    const pool = {
      connections: options.maxConnections,
      keepAliveTimeout: 30_000,
      // Our watchdogs own these deadlines (with better messages); undici's stay as a backstop.
      headersTimeout: options.connectTimeoutMs + 1_000,
      bodyTimeout: options.timeoutSeconds * 1000 + 1_000,
    };
    const proxy = options.proxy ?? {};
    // Without a proxy a plain pool: the proxy agent matches every request's origin against
    // NO_PROXY, work a gateway with no proxy need not do per call.
    this.#dispatcher =
      proxy.httpProxy || proxy.httpsProxy
        ? new EnvHttpProxyAgent({
            // Every field explicit: undici reads process.env for one left undefined, and the proxy
            // settings come from src/config/ alone ("" = none).
            httpProxy: proxy.httpProxy ?? "",
            httpsProxy: proxy.httpsProxy ?? "",
            noProxy: proxy.noProxy ?? "",
            ...pool,
          })
        : new Agent(pool);
  }

  async *sse(post: PostOptions): AsyncGenerator<SseItem[]> {
    const ctx: CallContext = { provider: this.providerId, model: post.model, url: post.url };
    const { signal } = post;
    signal.throwIfAborted();
    let exchange: Exchange | undefined;
    // The watchdogs abort the exchange, never the caller's signal.
    const watchdog = new Watchdog({ abort: (reason) => exchange?.abort(reason) });
    const onAbort = () => exchange?.abort(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    let phase = "POST";
    let sawEnd = false;
    try {
      exchange = this.#post(post);
      watchdog.arm("connect", this.options.connectTimeoutMs);
      await exchange.response();
      const status = exchange.status;
      if (status < 200 || status >= 300) {
        const text = await this.#readText(exchange, watchdog, ERROR_BODY_CAP).catch(() => "");
        throw (post.classify ?? classifyHttpError)(status, text, toHeaders(exchange.headers), ctx);
      }
      phase = "reading the stream from";
      // Some OpenAI-compatible servers ignore stream:true and answer one JSON document.
      if (String(exchange.headers["content-type"] ?? "").includes("application/json")) {
        const text = await this.#readText(exchange, watchdog, MAX_JSON_CHARS);
        yield [{ kind: "json", text }];
        return;
      }
      const reader = new SseReader();
      const idleMs = this.options.timeoutSeconds * 1000;
      for (;;) {
        // Armed only while waiting on the socket: a caller busy with what it read is no fault.
        watchdog.arm("idle", idleMs);
        const chunk = await exchange.read();
        watchdog.pause();
        const items = chunk === null ? reader.end() : reader.feed(chunk);
        if (post.isEnd !== undefined && items.some(post.isEnd)) sawEnd = true;
        // What arrived before a fault goes out first: the caller keeps that text.
        if (items.length > 0) yield items;
        if (reader.oversize) {
          throw new ModelError(
            "server_error",
            `${ctx.url} sent an SSE event over ${MAX_EVENT_CHARS} characters`,
            ctx,
          );
        }
        if (chunk === null) break;
      }
    } catch (err) {
      throw this.#failure(err, ctx, watchdog, signal, phase);
    } finally {
      watchdog.clear();
      signal.removeEventListener("abort", onAbort);
      // A body read to its end is back in the pool already; one left after the end marker is
      // drained (briefly) into it; any other early stop closes the connection.
      exchange?.release(sawEnd, DRAIN_BYTES);
    }
  }

  /** POSTs JSON and returns the parsed JSON answer (embeddings, non-streamed calls). */
  async json(post: PostOptions): Promise<unknown> {
    for await (const items of this.sse({
      ...post,
      headers: { ...post.headers, accept: "application/json" },
    })) {
      const item = items[0];
      if (item?.kind === "json") return parseJson(item.text, post.url, this.providerId, post.model);
    }
    throw new ModelError("server_error", `${post.url} did not answer JSON`, {
      provider: this.providerId,
      model: post.model,
      url: post.url,
    });
  }

  /** Closes the pool (a provider replaced by a config reload, or shutdown). */
  close(): Promise<void> {
    return this.#dispatcher.close();
  }

  /** Starts the POST: one JSON body, the adapter's headers, on this provider's pool. */
  #post(post: PostOptions): Exchange {
    let target = this.#targets.get(post.url);
    if (target === undefined) {
      const url = new URL(post.url);
      target = { origin: url.origin, path: `${url.pathname}${url.search}` };
      // An adapter posts to one or two URLs; the cap only guards against a caller that varies them.
      if (this.#targets.size < 16) this.#targets.set(post.url, target);
    }
    return new Exchange(this.#dispatcher, {
      ...target,
      method: "POST",
      headers: { "content-type": "application/json", ...post.headers },
      body: JSON.stringify(post.body),
    });
  }

  /** Reads a body as text up to `cap` characters, under the idle watchdog; past the cap it is cut. */
  async #readText(exchange: Exchange, watchdog: Watchdog, cap: number): Promise<string> {
    const decoder = new TextDecoder();
    let text = "";
    try {
      while (text.length < cap) {
        watchdog.arm("idle", this.options.timeoutSeconds * 1000);
        const chunk = await exchange.read();
        if (chunk === null) break;
        text += decoder.decode(chunk, { stream: true });
      }
    } finally {
      watchdog.clear();
    }
    return text.slice(0, cap);
  }

  /** Turns whatever ended the attempt into what the caller sees (see ModelProvider on aborts). */
  #failure(err: unknown, ctx: CallContext, watchdog: Watchdog, signal: AbortSignal, phase: string): unknown {
    if (signal.aborted) return signal.reason;
    if (err instanceof ModelError) return err;
    const fired = watchdog.fired;
    if (fired !== undefined) {
      const message =
        fired.phase === "connect"
          ? `no response from ${ctx.url} within ${fired.ms} ms (models.providers.${ctx.provider}.connectTimeoutMs)`
          : `no bytes from ${ctx.url} for ${fired.ms / 1000} s (idle watchdog, models.providers.${ctx.provider}.timeoutSeconds)`;
      return new ModelError("timeout", message, { ...ctx, cause: err });
    }
    return classifyNetworkError(err, ctx, phase);
  }
}

/**
 * SSE messages out of body bytes: each read's complete messages at once (a batch per read), an
 * event still being assembled capped at MAX_EVENT_CHARS (`oversize` once one passed it).
 */
class SseReader {
  oversize = false;
  #pending: SseItem[] = [];
  readonly #decoder = new TextDecoder();
  readonly #parser = createParser({
    maxBufferSize: MAX_EVENT_CHARS,
    onEvent: (m) => this.#pending.push({ kind: "event", event: m.event, data: m.data }),
    // Unknown fields and bad retry values are harmless; only the size cap ends the stream.
    onError: (err) => {
      if (err.type === "max-buffer-size-exceeded") this.oversize = true;
    },
  });

  /** The messages one read completed. */
  feed(bytes: Buffer): SseItem[] {
    this.#parser.feed(this.#decoder.decode(bytes, { stream: true }));
    return this.#take();
  }

  /** The body ended: a last event without its closing blank line (`[DONE]`, `message_stop`) still counts. */
  end(): SseItem[] {
    this.#parser.feed(`${this.#decoder.decode()}\n\n`);
    return this.#take();
  }

  #take(): SseItem[] {
    const items = this.#pending;
    if (items.length > 0) this.#pending = [];
    return items;
  }
}

/**
 * A request's headers: the adapter's own (accept, the vendor's auth header), then the provider's
 * configured `headers` lower-cased and last, so a vendor or a gateway in front needing another
 * auth header (`api-key`, `authorization`, a beta flag) can set or replace one.
 */
export function requestHeaders(
  own: Record<string, string | undefined>,
  configured: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(own)) if (value) headers[name] = value;
  for (const [name, value] of Object.entries(configured ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (Array.isArray(v)) for (const x of v) h.append(k, x);
    else if (v !== undefined) h.set(k, v);
  }
  return h;
}

function parseJson(text: string, url: string, provider: string, model: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    // A provider failure like any other: the ModelProvider contract allows no plain Error.
    throw new ModelError("server_error", `${url} answered JSON that does not parse`, {
      provider,
      model,
      url,
      cause,
    });
  }
}
