// The one HTTP router: method + path → handler, per-route body caps, errors mapped once.
import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import { GatewayError, invalidRequest } from "../protocol/errors.js";
import { readBody } from "./body.js";
import { defaultErrorBody, type ErrorBody, errorReply } from "./errors.js";
import type { Reply, RequestContext, Route } from "./types.js";

/** A request as the listener hands it over (from a normal request or an Upgrade one). */
export interface IncomingRequest {
  method: string;
  /** The raw request target (`/v1/models?x=1`). */
  url: string;
  headers: IncomingHttpHeaders;
  ip: string;
  signal: AbortSignal;
  /** The body stream; null when the listener cannot read one (an Upgrade request on Node 20). */
  body: Readable | null;
}

export interface RouterOptions {
  /** Body cap for routes that set none (bytes). */
  maxBodyBytes?: number;
  /** Called with anything a handler threw that is not a GatewayError (a bug: logged, 500). */
  onError?: (err: unknown, req: IncomingRequest) => void;
}

/** Where a family of routes is mounted and how its errors are worded. */
export interface Mount {
  /** Prepended to every route path of the family (`/hooks`, `/v1`). */
  prefix?: string;
  /** The family's error body; unmatched paths under the prefix use it too. */
  errorBody?: ErrorBody;
}

interface Entry {
  route: Route;
  methods: ReadonlySet<string>;
  segments: readonly string[];
  errorBody: ErrorBody;
}

/** The result of looking a request up. */
export type Match =
  | { kind: "route"; entry: Entry; params: Record<string, string> }
  | { kind: "method"; allow: string[] }
  | { kind: "none" };

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Routes by exact path (`:name` matches one segment, a final `*` the rest) and method. A known
 * path asked with another method is a 405 with `Allow`; an unknown path a JSON 404. A handler
 * that throws costs its request a mapped error reply, never the process.
 */
export class Router {
  private readonly entries: Entry[] = [];
  private readonly mounts: { prefix: string; errorBody: ErrorBody }[] = [];
  private readonly dynamic: { prefix: () => string | undefined; router: Router }[] = [];

  constructor(private readonly options: RouterOptions = {}) {}

  /**
   * Mounts a family whose prefix is read per request (a hot-reloaded `hooks.path`); `prefix()`
   * returning undefined unmounts it for now. Fixed routes win over it; every other path under
   * the prefix — its 404s and 405s included — is the family's, worded by its error body.
   */
  mount(prefix: () => string | undefined, routes: readonly Route[], errorBody?: ErrorBody): this {
    const router = new Router(this.options);
    router.add(routes, errorBody ? { errorBody } : {});
    if (errorBody) router.mounts.push({ prefix: "", errorBody });
    this.dynamic.push({ prefix, router });
    return this;
  }

  /** Registers a family of routes, optionally under a prefix. Registering a method twice throws. */
  add(routes: readonly Route[], mount: Mount = {}): this {
    const prefix = trimSlash(mount.prefix ?? "");
    const errorBody = mount.errorBody ?? defaultErrorBody;
    if (prefix) this.mounts.push({ prefix, errorBody });
    for (const route of routes) {
      const path = prefix + (route.path === "/" && prefix ? "" : route.path);
      const methods = new Set<string>(typeof route.method === "string" ? [route.method] : route.method);
      if (methods.has("GET")) methods.add("HEAD");
      const segments = split(path);
      for (const other of this.entries) {
        if (other.segments.join("/") !== segments.join("/")) continue;
        const clash = [...methods].find((m) => other.methods.has(m));
        if (clash) throw new Error(`route registered twice: ${clash} ${path}`);
      }
      this.entries.push({ route: { ...route, path }, methods, segments, errorBody });
    }
    return this;
  }

  /** Looks up a method and path (no query string). */
  match(method: string, path: string): Match {
    const parts = split(path);
    const allow = new Set<string>();
    for (const entry of this.entries) {
      const params = matchSegments(entry.segments, parts);
      if (!params) continue;
      if (entry.methods.has(method)) return { kind: "route", entry, params };
      for (const m of entry.methods) allow.add(m);
    }
    return allow.size > 0 ? { kind: "method", allow: [...allow].sort() } : { kind: "none" };
  }

  /** Answers one request. Never throws. */
  async handle(req: IncomingRequest): Promise<Reply> {
    const url = requestUrl(req.url);
    const found = this.match(req.method, url.pathname);
    if (found.kind === "none") {
      for (const d of this.dynamic) {
        const prefix = trimSlash(d.prefix() ?? "");
        if (!prefix || !(url.pathname === prefix || url.pathname.startsWith(`${prefix}/`))) continue;
        const rest = url.pathname.slice(prefix.length) || "/";
        return d.router.serve(req, url, d.router.match(req.method, rest));
      }
    }
    return this.serve(req, url, found);
  }

  private async serve(req: IncomingRequest, url: URL, found: Match): Promise<Reply> {
    if (found.kind !== "route") {
      const errorBody = this.errorBodyFor(url.pathname);
      if (found.kind === "none") {
        return errorReply(new GatewayError("NOT_FOUND", `not found: ${req.method} ${req.url}`), errorBody);
      }
      const err = invalidRequest(`method not allowed: ${req.method} ${url.pathname}`, {
        code: "METHOD_NOT_ALLOWED",
        allow: found.allow,
      });
      return errorReply(err, errorBody);
    }
    const { entry, params } = found;
    try {
      return await entry.route.handler(this.context(req, url, params, entry.route));
    } catch (err) {
      if (!(err instanceof GatewayError)) this.options.onError?.(err, req);
      return errorReply(err, entry.errorBody);
    }
  }

  private context(
    req: IncomingRequest,
    url: URL,
    params: Record<string, string>,
    route: Route,
  ): RequestContext {
    const own = typeof route.maxBodyBytes === "function" ? route.maxBodyBytes() : route.maxBodyBytes;
    const cap = own ?? this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    let body: Promise<Buffer> | undefined;
    const readOnce = () => (body ??= bodyOf(req, cap));
    return {
      method: req.method,
      path: url.pathname,
      url,
      headers: req.headers,
      params,
      ip: req.ip,
      signal: req.signal,
      body: readOnce,
      json: async () => {
        const raw = await readOnce();
        try {
          return JSON.parse(raw.toString("utf8")) as unknown;
        } catch (err) {
          throw invalidRequest(`invalid JSON body: ${(err as Error).message}`, { code: "INVALID_JSON" });
        }
      },
    };
  }

  private errorBodyFor(path: string): ErrorBody {
    let best: { prefix: string; errorBody: ErrorBody } | undefined;
    for (const m of this.mounts) {
      // "" is a dynamic family's own router: every path it sees is under its prefix.
      const under = m.prefix === "" || path === m.prefix || path.startsWith(`${m.prefix}/`);
      if (under && (!best || m.prefix.length > best.prefix.length)) best = m;
    }
    return best?.errorBody ?? defaultErrorBody;
  }
}

function bodyOf(req: IncomingRequest, cap: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (req.body) return readBody(req.body, declared, cap);
  if ((declared === undefined || Number(declared) === 0) && req.headers["transfer-encoding"] === undefined) {
    return Promise.resolve(Buffer.alloc(0));
  }
  return Promise.reject(
    invalidRequest("a request body cannot be read on a request that carries an Upgrade header", {
      code: "UPGRADE_WITH_BODY",
    }),
  );
}

/** Segments of a path, kept exact: `/healthz/` is not `/healthz`. */
function split(path: string): string[] {
  return path === "/" || path === "" ? [] : path.replace(/^\//, "").split("/");
}

/**
 * The URL of a request target. Concatenated rather than resolved against a base, so `//x`
 * stays a path instead of becoming a host.
 */
function requestUrl(target: string): URL {
  try {
    return new URL(`http://gateway.invalid${target.startsWith("/") ? "" : "/"}${target}`);
  } catch {
    return new URL("http://gateway.invalid/");
  }
}

function trimSlash(prefix: string): string {
  if (!prefix || prefix === "/") return "";
  const withLead = prefix.startsWith("/") ? prefix : `/${prefix}`;
  return withLead.endsWith("/") ? withLead.slice(0, -1) : withLead;
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p === "*" && i === pattern.length - 1) {
      params["*"] = parts.slice(i).map(decode).join("/");
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    if (p.startsWith(":")) params[p.slice(1)] = decode(part);
    else if (p !== part) return null;
  }
  return parts.length === pattern.length ? params : null;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
