// Mounting the OpenAI-compatible API: its services the gateway's, its auth the handshake's.
import type { Mount } from "../http/router.js";
import type { Route } from "../http/types.js";
import type { Authorizer } from "../openai/access.js";
import { OPENAI_PREFIX, type OpenAIDeps, openaiErrorBody, openaiRoutes } from "../openai/routes.js";
import { type AuthRateLimiter, authenticate } from "./auth.js";
import { normalizeOrigin } from "./origin.js";
import type { GatewaySecret } from "./secret.js";

/** A family of routes and where it is mounted. */
export interface RouteFamily {
  routes: readonly Route[];
  mount?: Mount;
}

export interface OpenAIMountInput {
  /** The gateway's services object: its getters read the live config and the runtime. */
  services: OpenAIDeps;
  secret: GatewaySecret;
  /** The WebSocket handshake's limiter: failures on either surface count toward one lockout. */
  limiter: AuthRateLimiter;
  /** gateway.http.maxBodyBytes at start. */
  maxBodyBytes: number;
}

/**
 * The /v1 family over the services object (the runtime's store, runs and models exist once
 * startup built them; before that they answer a retryable 503). Its auth is the handshake's
 * check: the bearer is the token or the password, whichever mode is set.
 */
export function openaiFamily(input: OpenAIMountInput): RouteFamily {
  const { services, secret, limiter } = input;
  const authorize: Authorizer = ({ ip, origin, bearer }) =>
    authenticate(secret, limiter, {
      // Already the client behind any trusted proxy (the router resolved it).
      ip,
      browserOrigin: origin !== undefined,
      noLoopbackExemption: true,
      origin: origin === undefined ? undefined : (normalizeOrigin(origin) ?? "invalid"),
      credentials: { token: bearer, password: bearer },
    });
  return {
    routes: openaiRoutes(services, authorize, input.maxBodyBytes),
    mount: { prefix: OPENAI_PREFIX, errorBody: openaiErrorBody },
  };
}
