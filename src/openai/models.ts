// The `model` field of a /v1 request (an agent, or a configured model strictly) and /v1/models.
import type { Config } from "../config/schema.js";
import { jsonReply } from "../http/errors.js";
import type { Reply } from "../http/types.js";
import type { ModelRegistry } from "../models/registry.js";
import { GatewayError } from "../protocol/errors.js";
import { agentIds } from "../sessions/keys.js";

/** The id prefix that names an agent rather than a provider's model. */
export const AGENT_PREFIX = "keel";

/** What a `model` field selects: the agent that runs, and a strict model ref when one was named. */
export interface ModelChoice {
  agentId: string;
  /** `provider/model`: that model only, no failover (undefined runs the agent's own chain). */
  ref?: string;
}

function unknownModel(model: string): GatewayError {
  return new GatewayError("NOT_FOUND", `The model '${model}' does not exist (GET /v1/models lists them)`, {
    details: { param: "model", openaiCode: "model_not_found" },
  });
}

/**
 * `keel` and `keel/default` are the default agent, `keel/<agentId>` that agent; anything else
 * must be a configured `provider/model` or an alias of one, run by the default agent with that
 * model strictly. Everything else is a 404 naming the model.
 */
export function chooseModel(config: Config, models: ModelRegistry, model: string): ModelChoice {
  const defaultId = config.agents.defaultId;
  if (model === AGENT_PREFIX || model === `${AGENT_PREFIX}/default`) return { agentId: defaultId };
  if (model.startsWith(`${AGENT_PREFIX}/`)) {
    const id = model.slice(AGENT_PREFIX.length + 1);
    if (!agentIds(config).includes(id)) throw unknownModel(model);
    return { agentId: id };
  }
  const ref = configuredRef(config, models, model);
  if (!ref) throw unknownModel(model);
  return { agentId: defaultId, ref };
}

/** The canonical `provider/model` of a configured model or alias, else undefined. */
export function configuredRef(config: Config, models: ModelRegistry, model: string): string | undefined {
  const ref = models.canonical(model) ?? model;
  const slash = ref.indexOf("/");
  if (slash <= 0) return undefined;
  const provider = config.models.providers[ref.slice(0, slash)];
  const id = ref.slice(slash + 1);
  return provider?.models.some((m) => m.id === id) ? ref : undefined;
}

interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

/** Every id a `model` field accepts: the agents, then each configured model and its alias. */
export function modelObjects(config: Config, models: ModelRegistry): ModelObject[] {
  const ids = [
    AGENT_PREFIX,
    `${AGENT_PREFIX}/default`,
    ...agentIds(config).map((id) => `${AGENT_PREFIX}/${id}`),
  ];
  const out = [...new Set(ids)].map((id) => entry(id, "keel"));
  for (const m of models.list().models) {
    out.push(entry(`${m.provider}/${m.id}`, m.provider));
    if (m.alias !== undefined) out.push(entry(m.alias, m.provider));
  }
  return out;
}

function entry(id: string, owner: string): ModelObject {
  return { id, object: "model", created: 0, owned_by: owner };
}

/** `GET /v1/models`. */
export function listModels(config: Config, models: ModelRegistry): Reply {
  return jsonReply(200, { object: "list", data: modelObjects(config, models) });
}

/** `GET /v1/models/{id}` (the id may contain slashes). */
export function getModel(config: Config, models: ModelRegistry, id: string): Reply {
  const found = modelObjects(config, models).find((m) => m.id === id);
  if (!found) throw unknownModel(id);
  return jsonReply(200, found);
}
