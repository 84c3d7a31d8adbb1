// Providers configured by the environment alone: with no models.providers, a vendor's API key variable sets one up.
import type { ProviderConfig } from "./schema.js";

type Env = Record<string, string | undefined>;

/** One vendor whose standard key variable configures a provider when the config names none. */
export interface EnvProviderRow {
  /** The variable holding the API key, e.g. OPENAI_API_KEY. */
  keyEnv: string;
  /** The variable that may override the base URL, e.g. OPENAI_BASE_URL. */
  baseUrlEnv: string;
  /** Provider id the entry gets. */
  provider: string;
  api: ProviderConfig["api"];
  baseUrl: string;
  /** Model id the default agent runs unless agents.defaults.model names another. */
  model: string;
}

/**
 * The vendors, in precedence order: when several keys are set, each gets its provider and the
 * first row's model is the default. A row needs an adapter for its `api`; the Anthropic row joins
 * when the anthropic-messages adapter is in the schema's `api` union.
 */
export const ENV_PROVIDERS: readonly EnvProviderRow[] = [
  {
    keyEnv: "OPENAI_API_KEY",
    baseUrlEnv: "OPENAI_BASE_URL",
    provider: "openai",
    api: "openai-completions",
    baseUrl: "https://api.openai.com/v1",
    model: "gpt-4o-mini",
  },
  {
    keyEnv: "ANTHROPIC_API_KEY",
    baseUrlEnv: "ANTHROPIC_BASE_URL",
    provider: "anthropic",
    api: "anthropic-messages",
    baseUrl: "https://api.anthropic.com",
    model: "claude-sonnet-4-5",
  },
];

/** The env variables that could configure a provider, for the "nothing configured" message. */
export function envProviderHint(): string {
  return ENV_PROVIDERS.map((r) => r.keyEnv).join(" or ");
}

/**
 * With no provider configured, the rows whose key variable is set become ordinary provider entries
 * in the raw config tree, before validation and defaults (apiKey is a secret field, so config.get
 * and the logs redact it as any other), and the default agent gets the first one's model unless
 * agents.defaults.model is set. Everything downstream sees a normal config. Returns the provider
 * ids it added.
 */
export function applyEnvProviders(tree: Record<string, unknown>, env: Env): string[] {
  const rows = ENV_PROVIDERS.filter((r) => env[r.keyEnv] !== undefined && env[r.keyEnv] !== "");
  if (rows.length === 0) return [];
  const models = objectAt(tree, "models");
  const agents = objectAt(tree, "agents");
  const defaults = agents && objectAt(agents, "defaults");
  if (!models || !defaults) return [];
  const configured = models["providers"];
  if (configured !== undefined && (!isObject(configured) || Object.keys(configured).length > 0)) return [];
  const providers: Record<string, unknown> = {};
  for (const row of rows) {
    const key = env[row.keyEnv]!;
    const baseUrl = env[row.baseUrlEnv];
    const ids = new Set([row.model, ...namedModels(agents!, row.provider)]);
    providers[row.provider] = {
      baseUrl: baseUrl && /^https?:\/\//.test(baseUrl) ? baseUrl.replace(/\/+$/, "") : row.baseUrl,
      apiKey: key,
      api: row.api,
      models: [...ids].map((id) => ({ id })),
    };
  }
  models["providers"] = providers;
  defaults["model"] ??= `${rows[0]!.provider}/${rows[0]!.model}`;
  return Object.keys(providers);
}

/** The object at `key`, created when absent; undefined when something else is there (a schema error). */
function objectAt(node: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  node[key] ??= {};
  return isObject(node[key]) ? node[key] : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Model ids of `provider` the agents name (strings only; the schema checks the rest), for models.list. */
function namedModels(agents: Record<string, unknown>, provider: string): string[] {
  const refs: unknown[] = [];
  const add = (r: unknown) => {
    if (typeof r === "string") refs.push(r);
    else if (isObject(r)) refs.push(r["primary"], ...(Array.isArray(r["fallbacks"]) ? r["fallbacks"] : []));
  };
  add(isObject(agents["defaults"]) ? agents["defaults"]["model"] : undefined);
  if (isObject(agents["entries"]))
    for (const e of Object.values(agents["entries"])) add(isObject(e) ? e["model"] : undefined);
  return refs
    .filter(
      (r): r is string =>
        typeof r === "string" && r.startsWith(`${provider}/`) && r.length > provider.length + 1,
    )
    .map((r) => r.slice(provider.length + 1));
}
