// Providers built from config: one factory per `api`, and each provider's credentials as data.
import { outboundProxy } from "../config/paths.js";
import type { Config, ProviderConfig } from "../config/schema.js";
import { AnthropicMessagesProvider } from "./anthropic-messages.js";
import { OpenAICompletionsProvider } from "./openai-completions.js";
import { OpenAIResponsesProvider } from "./openai-responses.js";
import { ProviderTransport } from "./transport.js";
import type { Credential, ModelProvider } from "./types.js";

/** Builds the adapter for one `models.providers.<id>` entry over that provider's transport. */
export type ProviderFactory = (
  id: string,
  config: ProviderConfig,
  credentials: readonly Credential[],
  transport: ProviderTransport,
) => ModelProvider;

/**
 * One row per `api` value the schema allows. A new wire format is a new adapter file plus one
 * row here (and its literal in the schema's `api` union); nothing else changes.
 */
export const PROVIDER_FACTORIES: Readonly<Record<ProviderConfig["api"], ProviderFactory>> = {
  "openai-completions": (id, config, credentials, transport) =>
    new OpenAICompletionsProvider(id, config, credentials, transport),
  "openai-responses": (id, config, credentials, transport) =>
    new OpenAIResponsesProvider(id, config, credentials, transport),
  "anthropic-messages": (id, config, credentials, transport) =>
    new AnthropicMessagesProvider(id, config, credentials, transport),
};

/**
 * A provider's credentials in rotation order. Today one per provider (`apiKey`, possibly none
 * for a local server); several keys per provider add entries here, not a new provider.
 */
export function providerCredentials(id: string, config: ProviderConfig): Credential[] {
  return [{ id: `${id}:default`, apiKey: config.apiKey }];
}

/** Builds one provider per `models.providers.<id>` through the factory its `api` names. */
export function createProviders(config: Config): ReadonlyMap<string, ModelProvider> {
  const providers = new Map<string, ModelProvider>();
  for (const [id, provider] of Object.entries(config.models.providers)) {
    const factory = PROVIDER_FACTORIES[provider.api];
    providers.set(
      id,
      factory(id, provider, providerCredentials(id, provider), providerTransport(id, provider)),
    );
  }
  return providers;
}

/** A provider's pool and deadlines (one per provider, so one slow vendor cannot starve another). */
export function providerTransport(id: string, config: ProviderConfig): ProviderTransport {
  return new ProviderTransport(id, {
    timeoutSeconds: config.timeoutSeconds,
    connectTimeoutMs: config.connectTimeoutMs,
    maxConnections: config.maxConnections,
    proxy: outboundProxy(),
  });
}
