// What every HTTP surface shares: the route, the request a handler sees, the reply it returns.
import type { IncomingHttpHeaders } from "node:http";

/** Methods a route may answer. A GET route also answers HEAD (the body is left off). */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/** What a handler returns. A string or Buffer body is sent with its length; an iterable streams. */
export interface Reply {
  status: number;
  headers?: Record<string, string | number>;
  body?: string | Buffer | AsyncIterable<string | Buffer>;
}

/** One request as a handler sees it. */
export interface RequestContext {
  method: string;
  /** The path without the query string (`/v1/chat/completions`). */
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  /** `:name` segments of the route's path. */
  params: Readonly<Record<string, string>>;
  /** Remote address of the caller. */
  ip: string;
  /** Aborted when the caller goes away before the reply is finished. */
  signal: AbortSignal;
  /** The body, read up to the route's cap; over it, a `BODY_TOO_LARGE` error (HTTP 413). */
  body(): Promise<Buffer>;
  /** The body parsed as JSON; a parse error is `INVALID_REQUEST` (HTTP 400). */
  json(): Promise<unknown>;
}

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

/** A route: method + path → handler. Paths are exact, with `:name` segments and a final `*`. */
export interface Route {
  method: HttpMethod | readonly HttpMethod[];
  path: string;
  handler: Handler;
  /** Largest body `ctx.body()` reads (bytes; a getter for a hot-reloaded cap); the router's default when unset. */
  maxBodyBytes?: number | (() => number);
}
