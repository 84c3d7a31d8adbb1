// The /v1 route family: each endpoint behind its switch, CORS and auth (mounted by server/start.ts).
import type { Route } from "../http/types.js";
import { type Authorizer, type Endpoint, guarded } from "./access.js";
import { chatCompletions } from "./chat.js";
import { createEmbeddings } from "./embeddings.js";
import { openaiErrorBody } from "./errors.js";
import { getModel, listModels } from "./models.js";
import { createResponse } from "./responses.js";
import type { OpenAIDeps } from "./turn.js";

export type { OpenAIDeps };
export { openaiErrorBody };

/** Where the family is mounted. */
export const OPENAI_PREFIX = "/v1";

/**
 * The routes, to mount under {@link OPENAI_PREFIX} with {@link openaiErrorBody}. `authorize` checks
 * each caller; `maxBodyBytes` is gateway.http.maxBodyBytes at start (the router's caps are fixed
 * per route).
 */
export function openaiRoutes(deps: OpenAIDeps, authorize: Authorizer, maxBodyBytes: number): Route[] {
  const route = (
    method: "GET" | "POST",
    path: string,
    endpoint: Endpoint,
    run: Parameters<typeof guarded>[3],
  ): Route => ({
    method: [method, "OPTIONS"],
    path,
    handler: guarded(() => deps.config, authorize, endpoint, run),
    ...(method === "POST" ? { maxBodyBytes } : {}),
  });
  return [
    route("GET", "/models", "models", () => listModels(deps.config, deps.models)),
    route("GET", "/models/*", "models", (ctx) => getModel(deps.config, deps.models, ctx.params["*"] ?? "")),
    route("POST", "/chat/completions", "chatCompletions", (ctx) => chatCompletions(deps, ctx)),
    route("POST", "/responses", "responses", (ctx) => createResponse(deps, ctx)),
    route("POST", "/embeddings", "embeddings", (ctx) => createEmbeddings(deps, ctx)),
  ];
}
