// Providers built from config, model refs resolved to provider + limits, models.list, agents' model chains.
import type { ProfileSecrets } from "../config/credentials.js";
import { canonicalRef } from "../config/refs.js";
import type { Config } from "../config/schema.js";
import type { CooldownView, LastError } from "./cooldowns.js";
import { createProviders, unusableProviders } from "./providers.js";
import { ModelError, type ModelProvider } from "./types.js";

/** A configured model with its limits filled in. */
export interface ModelInfo {
  id: string;
  name: string;
  contextWindow: number;
  maxTokens?: number;
}

/** A "provider/model" ref resolved to what a run needs to call it. */
export interface ResolvedModel {
  /** "provider/model" as written. */
  ref: string;
  provider: ModelProvider;
  model: ModelInfo;
  /** False when the provider does not list this model id (it is still called, with default limits). */
  listed: boolean;
  /** The provider's configured baseUrl, when it has one (network cooldowns key by it). */
  endpoint?: string;
}

/** One row of `models.list` (the reference's field names where they overlap). */
export interface ModelListEntry {
  id: string;
  name: string;
  provider: string;
  /** The wire format its provider speaks (`models.providers.<id>.api`). */
  api: string;
  contextWindow: number;
  maxTokens?: number;
  /** What the model takes in: "text", and "image" when configured. */
  input: string[];
  /** Whether tool definitions are sent to it. */
  tools: boolean;
  reasoning: boolean;
  /** False when its provider has no usable credential (no profile has a key). */
  available: boolean;
  /** Its alias under agents.defaults.models, when it has one. */
  alias?: string;
  /** "default" on the default agent's primary model. */
  tags?: string[];
  /** Set by the gateway's `models.list`: ok, or cooling / probing / disabled (billing). */
  state?: "ok" | "cooling" | "probing" | "disabled";
  /** Set with `state`: the cooldowns that hold this model back (see Cooldowns.view). */
  cooldowns?: CooldownView[];
  /** Set with `state` once the model failed: its last error's kind, when, and with which credential. */
  lastError?: LastError;
}

/** An agent's model selection: the primary, then the fallbacks failover walks. */
export interface AgentModel {
  primary: string;
  /** De-duplicated, without the primary, in configured order. */
  fallbacks: string[];
  /** Larger models tried in place of the rest of the chain when a prompt is too long. */
  contextFallbacks: string[];
  /** Where it came from: the agent's own entry or agents.defaults. */
  source: "agent" | "defaults";
}

/** Splits "provider/model" at the first slash; model ids may contain slashes ("openrouter/a/b"). */
export function parseModelRef(ref: string): { provider: string; model: string } | undefined {
  const slash = ref.indexOf("/");
  if (slash <= 0 || slash === ref.length - 1) return undefined;
  return { provider: ref.slice(0, slash), model: ref.slice(slash + 1) };
}

/**
 * The model side of one config generation: immutable, so a config reload builds a new registry
 * and runs already started keep the providers they resolved.
 */
export class ModelRegistry {
  readonly providers: ReadonlyMap<string, ModelProvider>;
  /** Configured providers left out for want of a credential, with why (models.list: available false). */
  readonly unusable: ReadonlyMap<string, string>;
  readonly #config: Config;

  constructor(
    config: Config,
    providers: ReadonlyMap<string, ModelProvider> = createProviders(config),
    unusable: ReadonlyMap<string, string> = unusableProviders(config),
  ) {
    this.#config = config;
    this.providers = providers;
    this.unusable = unusable;
  }

  /** The registry of a config whose auth profiles' keys were resolved at start. */
  static withSecrets(config: Config, secrets: ProfileSecrets): ModelRegistry {
    return new ModelRegistry(config, createProviders(config, secrets), unusableProviders(config, secrets));
  }

  /** "provider/model" for a ref or an alias (agents.defaults.models[ref].alias); undefined for an unknown alias. */
  canonical(refOrAlias: string): string | undefined {
    return canonicalRef(this.#config.agents, refOrAlias);
  }

  /**
   * Resolves a ref. An unknown provider or a malformed ref throws ModelError kind
   * `model_not_found` (so a bad fallback entry moves the chain on instead of cooling anything down).
   */
  resolve(refOrAlias: string): ResolvedModel {
    const ref = this.canonical(refOrAlias) ?? refOrAlias;
    const parsed = parseModelRef(ref);
    const unusable = parsed && this.unusable.get(parsed.provider);
    if (unusable !== undefined) {
      throw new ModelError("auth", unusable, { provider: parsed!.provider, model: parsed!.model });
    }
    const provider = parsed && this.providers.get(parsed.provider);
    if (!parsed || !provider) {
      const known = [...this.providers.keys()].join(", ") || "none";
      const why = parsed
        ? `unknown provider "${parsed.provider}"`
        : 'expected "provider/model" or an alias (agents.defaults.models[ref].alias)';
      throw new ModelError("model_not_found", `model ref "${ref}": ${why} (configured providers: ${known})`, {
        provider: parsed?.provider ?? "",
        model: parsed?.model ?? ref,
      });
    }
    const configured = this.#config.models.providers[parsed.provider]?.models.find(
      (m) => m.id === parsed.model,
    );
    const endpoint = this.#config.models.providers[parsed.provider]?.baseUrl;
    return {
      ref,
      provider,
      model: this.#info(configured ?? { id: parsed.model }),
      listed: configured !== undefined,
      ...(endpoint === undefined ? {} : { endpoint }),
    };
  }

  /**
   * Releases every provider's pool (a superseded config generation, or shutdown). undici lets
   * requests already under way finish first, so a run that resolved these providers completes.
   */
  async close(): Promise<void> {
    await Promise.all([...this.providers.values()].map((p) => p.close?.()));
  }

  /** The `models.list` result: every configured model of every provider. */
  list(): { models: ModelListEntry[] } {
    const aliases = this.#config.agents.defaults.models;
    const primary = this.agentModel(this.#config.agents.defaultId)?.primary;
    const defaultRef = primary === undefined ? undefined : this.canonical(primary);
    const models: ModelListEntry[] = [];
    for (const [provider, config] of Object.entries(this.#config.models.providers)) {
      for (const m of config.models) {
        const info = this.#info(m);
        const ref = `${provider}/${m.id}`;
        const entry: ModelListEntry = {
          id: info.id,
          name: info.name,
          provider,
          api: config.api,
          contextWindow: info.contextWindow,
          ...(info.maxTokens === undefined ? {} : { maxTokens: info.maxTokens }),
          input: [...m.input],
          tools: m.tools,
          reasoning: m.reasoning,
          available: !this.unusable.has(provider),
        };
        const alias = Object.hasOwn(aliases, ref) ? aliases[ref]!.alias : undefined;
        if (alias !== undefined) entry.alias = alias;
        if (ref === defaultRef) entry.tags = ["default"];
        models.push(entry);
      }
    }
    return { models };
  }

  /**
   * An agent's model: `agents.entries.<id>.model`, else `agents.defaults.model`. Undefined when
   * neither is set — the caller reports that the agent has no model configured.
   */
  agentModel(agentId: string): AgentModel | undefined {
    const own = this.#config.agents.entries[agentId]?.model;
    const ref = own ?? this.#config.agents.defaults.model;
    if (ref === undefined) return undefined;
    const source = own !== undefined ? "agent" : "defaults";
    if (typeof ref === "string") return { primary: ref, fallbacks: [], contextFallbacks: [], source };
    const fallbacks = [...new Set(ref.fallbacks ?? [])].filter((f) => f !== ref.primary);
    return {
      primary: ref.primary,
      fallbacks,
      contextFallbacks: [...new Set(ref.contextFallbacks ?? [])],
      source,
    };
  }

  #info(m: { id: string; name?: string; contextWindow?: number; maxTokens?: number }): ModelInfo {
    const info: ModelInfo = {
      id: m.id,
      name: m.name ?? m.id,
      contextWindow: m.contextWindow ?? this.#config.models.defaultContextWindow,
    };
    if (m.maxTokens !== undefined) info.maxTokens = m.maxTokens;
    return info;
  }
}
