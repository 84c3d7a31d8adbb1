// Mounting the OpenAI-compatible API: its services read through the runtime, its auth the handshake's.
import type { LiveConfig } from "../config/source.js";
import type { Mount } from "../http/router.js";
import type { Route } from "../http/types.js";
import { OPENAI_PREFIX, type OpenAIDeps, openaiErrorBody, openaiRoutes } from "../openai/routes.js";
import type { ClientAddresses } from "./address.js";
import { type AuthRateLimiter, authenticate } from "./auth.js";
import { normalizeOrigin } from "./origin.js";
import type { Runtime } from "./runtime.js";
import type { GatewaySecret } from "./secret.js";

/** A family of routes and where it is mounted. */
export interface RouteFamily {
  routes: readonly Route[];
  mount?: Mount;
}

export interface OpenAIMountInput {
  config: LiveConfig;
  runtime: Runtime;
  secret: GatewaySecret;
  /** The WebSocket handshake's limiter: failures on either surface count toward one lockout. */
  limiter: AuthRateLimiter;
  /** Resolves the client behind a trusted proxy, as the handshake does for its lockout key. */
  addresses: Pick<ClientAddresses, "of">;
}

/**
 * The /v1 family. Its services are getters (the runtime's store, runs and models exist once
 * startup built them; before that they answer a retryable 503). Its auth is the handshake's
 * check: the bearer is the token or the password, whichever mode is set.
 */
export function openaiFamily(input: OpenAIMountInput): RouteFamily {
  const { config, runtime, secret, limiter, addresses } = input;
  const deps: OpenAIDeps = {
    get config() {
      return config.current();
    },
    get runs() {
      return runtime.runs;
    },
    get store() {
      return runtime.store;
    },
    get models() {
      return runtime.models;
    },
    authorize: ({ ip, headers, origin, bearer }) =>
      authenticate(secret, limiter, {
        ip: addresses.of({ headers, socket: { remoteAddress: ip } }),
        browserOrigin: origin !== undefined,
        origin: origin === undefined ? undefined : (normalizeOrigin(origin) ?? "invalid"),
        credentials: { token: bearer, password: bearer },
      }),
  };
  return {
    routes: openaiRoutes(deps, config.current().gateway.http.maxBodyBytes),
    mount: { prefix: OPENAI_PREFIX, errorBody: openaiErrorBody },
  };
}
