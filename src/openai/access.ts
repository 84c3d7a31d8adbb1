// Who may call a /v1 endpoint: the endpoint's switch, CORS for allowed browser origins, and the
// gateway's bearer auth (token or password, failures counted by the same limiter as WebSocket auth).
import type { IncomingHttpHeaders } from "node:http";
import type { Config } from "../config/schema.js";
import { bearerToken } from "../http/auth.js";
import { errorReply } from "../http/errors.js";
import type { Handler, Reply, RequestContext } from "../http/types.js";
import { GatewayError } from "../protocol/errors.js";
import { openaiErrorBody } from "./errors.js";

/** One /v1 auth attempt: the caller's address, its Origin (browsers), and the bearer it sent. */
export interface HttpAuthAttempt {
  /** The socket's peer address (the server resolves X-Forwarded-For from trusted proxies). */
  ip: string;
  headers: IncomingHttpHeaders;
  origin: string | undefined;
  bearer: string | undefined;
}

/**
 * Checks an attempt against the gateway's secret and throws the auth error (401, or 429 with
 * Retry-After during a lockout). The server wires it to the WebSocket handshake's check, so the
 * rate limiter and its per-(address, Origin) lockout are one for both surfaces. Per-client API
 * keys can later replace it without touching a handler: a handler only sees that it passed.
 */
export type Authorizer = (attempt: HttpAuthAttempt) => void;

/** What gates an endpoint: `models` is open when any of the three is. */
export type Endpoint = "chatCompletions" | "responses" | "embeddings" | "models";

const CORS_METHODS = "GET, POST, OPTIONS";
const CORS_HEADERS =
  "authorization, content-type, x-keel-session-key, x-openclaw-session-key, openai-organization, openai-project, x-stainless-retry-count";

/** Whether an endpoint is switched on in this config (read per request: the keys are hot). */
export function enabled(config: Config, endpoint: Endpoint): boolean {
  const e = config.gateway.http.endpoints;
  if (endpoint === "models") return e.chatCompletions.enabled || e.responses.enabled || e.embeddings.enabled;
  return e[endpoint].enabled;
}

/**
 * Wraps a handler: 404 while its endpoint is off (as if it did not exist), CORS preflight and
 * headers for an allowed Origin, then auth. Errors a handler throws are answered here so CORS
 * headers reach a browser on errors too.
 */
export function guarded(
  config: () => Config,
  authorize: Authorizer,
  endpoint: Endpoint,
  handler: Handler,
): Handler {
  return async (ctx: RequestContext): Promise<Reply> => {
    const current = config();
    const cors = corsHeaders(current, ctx.headers);
    try {
      if (!enabled(current, endpoint)) {
        throw new GatewayError(
          "NOT_FOUND",
          `not found: ${ctx.method} ${ctx.path} (endpoint disabled in gateway.http.endpoints)`,
        );
      }
      if (ctx.method === "OPTIONS") return preflight(ctx.headers, cors);
      authorize({
        ip: ctx.ip,
        headers: ctx.headers,
        origin: origin(ctx.headers),
        bearer: bearerToken(ctx.headers),
      });
      const reply = await handler(ctx);
      return cors ? { ...reply, headers: { ...reply.headers, ...cors } } : reply;
    } catch (err) {
      // Anything but a GatewayError is a bug: the router logs it and answers a bare 500.
      if (!(err instanceof GatewayError)) throw err;
      const reply = errorReply(err, openaiErrorBody);
      return cors ? { ...reply, headers: { ...reply.headers, ...cors } } : reply;
    }
  };
}

function origin(headers: IncomingHttpHeaders): string | undefined {
  const o = headers.origin;
  return typeof o === "string" && o.length > 0 ? o : undefined;
}

/** CORS headers for an allowed Origin; undefined for none or another one (the browser then refuses). */
function corsHeaders(config: Config, headers: IncomingHttpHeaders): Record<string, string> | undefined {
  const o = origin(headers);
  if (o === undefined || !config.gateway.http.cors.allowedOrigins.includes(o)) return undefined;
  return {
    "access-control-allow-origin": o,
    vary: "origin",
    "access-control-expose-headers": "retry-after, x-keel-session-key",
  };
}

function preflight(headers: IncomingHttpHeaders, cors: Record<string, string> | undefined): Reply {
  if (!cors) {
    throw new GatewayError("FORBIDDEN", "origin not allowed (add it to gateway.http.cors.allowedOrigins)", {
      details: { code: "ORIGIN_NOT_ALLOWED" },
    });
  }
  const asked = headers["access-control-request-headers"];
  return {
    status: 204,
    headers: {
      ...cors,
      "access-control-allow-methods": CORS_METHODS,
      "access-control-allow-headers": typeof asked === "string" && asked ? asked : CORS_HEADERS,
      "access-control-max-age": 600,
    },
  };
}
