// Providers built from config: one factory per `api`, and each provider's credentials as data.
import { NO_PROFILE_SECRETS, type ProfileSecrets } from "../config/credentials.js";
import { outboundProxy } from "../config/paths.js";
import type { AuthConfig, Config, ProviderConfig } from "../config/schema.js";
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

/** A provider's credentials, or why it has none it can send. */
export interface ProviderCredentials {
  credentials: Credential[];
  /** Set when the provider has profiles but none with a key (and no apiKey): nothing can run on it. */
  unusable?: string;
}

/**
 * A provider's credentials in rotation order. Its `apiKey` is the credential `<provider>:default`;
 * each `auth.profiles` entry of the provider whose key was found (keyEnv or credentials.json) is
 * one more, under its profile id. Order: `auth.order.<provider>` when set (only the ids it lists),
 * else the apiKey first, then the profiles in config order. A provider with neither apiKey nor
 * profiles gets one credential without a key (a local server that needs no auth).
 */
export function providerCredentials(
  id: string,
  config: ProviderConfig,
  auth: Pick<AuthConfig, "profiles" | "order"> = { profiles: {}, order: {} },
  secrets: ProfileSecrets = NO_PROFILE_SECRETS,
): ProviderCredentials {
  const available = new Map<string, Credential>();
  const defaultId = `${id}:default`;
  if (config.apiKey !== undefined) available.set(defaultId, { id: defaultId, apiKey: config.apiKey });
  const profiles = Object.entries(auth.profiles).filter(([, p]) => p.provider === id);
  for (const [profileId] of profiles) {
    const secret = secrets.keys.get(profileId);
    if (secret) available.set(profileId, { id: profileId, apiKey: secret.key });
  }
  const order = auth.order[id];
  const credentials = order ? order.flatMap((o) => available.get(o) ?? []) : [...available.values()];
  if (credentials.length > 0) return { credentials };
  if (profiles.length === 0 && config.apiKey === undefined) {
    return { credentials: [{ id: defaultId, apiKey: undefined }] };
  }
  const names = profiles.map(([p]) => p).join(", ");
  const why = order
    ? `none of the profiles in auth.order.${id} (${order.join(", ")}) has a key`
    : `its profiles (${names}) have no key`;
  return {
    credentials: [],
    unusable: `provider "${id}" has no usable credential: ${why}; set each profile's keyEnv variable where the gateway runs, or run \`keel auth add <profile>\`, then restart the gateway`,
  };
}

/**
 * Builds one provider per `models.providers.<id>` through the factory its `api` names. A provider
 * without a usable credential is left out (see {@link unusableProviders} for why).
 */
export function createProviders(
  config: Config,
  secrets: ProfileSecrets = NO_PROFILE_SECRETS,
): ReadonlyMap<string, ModelProvider> {
  const providers = new Map<string, ModelProvider>();
  for (const [id, provider] of Object.entries(config.models.providers)) {
    const creds = providerCredentials(id, provider, config.auth, secrets);
    if (creds.unusable === undefined) {
      const transport = providerTransport(id, provider);
      providers.set(id, PROVIDER_FACTORIES[provider.api](id, provider, creds.credentials, transport));
    }
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

/** Provider id → why it has no credential it can send, for each configured provider in that state. */
export function unusableProviders(
  config: Config,
  secrets: ProfileSecrets = NO_PROFILE_SECRETS,
): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const [id, provider] of Object.entries(config.models.providers)) {
    const { unusable } = providerCredentials(id, provider, config.auth, secrets);
    if (unusable !== undefined) out.set(id, unusable);
  }
  return out;
}
