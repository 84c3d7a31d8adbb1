// Every model ref in a config with its dotted path, aliases, and the cross-section checks on refs and auth profiles.
import type { ConfigProblem } from "./load.js";
import type { AgentsConfig, AuthConfig, ModelRef, ModelsConfig } from "./schema.js";

/** Provider id the OpenAI API's `keel/<agent>` model ids use: no configured provider may take it. */
export const RESERVED_PROVIDER = "keel";

/** One "provider/model" string found in the agents section (an alias already resolved). */
export interface ModelRefSite {
  /** Dotted path, e.g. `agents.defaults.model.fallbacks.1` or `agents.entries.ops.model`. */
  path: string;
  /** The canonical "provider/model". */
  ref: string;
  /** What the config says there: the ref itself, or an alias. */
  written: string;
  provider: string;
  model: string;
}

type AgentRefs = Pick<AgentsConfig, "defaults" | "entries">;

/** Alias (lower-cased: aliases match without regard to case) → "provider/model". */
export function modelAliases(agents: Pick<AgentsConfig, "defaults">): Map<string, string> {
  const out = new Map<string, string>();
  for (const [ref, settings] of Object.entries(agents.defaults.models ?? {})) {
    if (settings.alias !== undefined && !out.has(settings.alias.toLowerCase())) {
      out.set(settings.alias.toLowerCase(), ref);
    }
  }
  return out;
}

/**
 * "provider/model" for a ref or an alias: a string with a slash is a ref as is; one without is
 * looked up among the aliases. Undefined for an alias nobody configured.
 */
export function canonicalRef(agents: Pick<AgentsConfig, "defaults">, refOrAlias: string): string | undefined {
  if (refOrAlias.includes("/")) return refOrAlias;
  return modelAliases(agents).get(refOrAlias.toLowerCase());
}

/** Every model ref of agents.defaults and agents.entries.*, primary before fallbacks, aliases resolved. */
export function modelRefSites(agents: AgentRefs): ModelRefSite[] {
  return writtenRefs(agents).flatMap(({ path, written }) => {
    const ref = canonicalRef(agents, written);
    if (ref === undefined) return [];
    // The schema guarantees a slash in a ref; the model id may contain more ("openrouter/a/b").
    const slash = ref.indexOf("/");
    return [{ path, ref, written, provider: ref.slice(0, slash), model: ref.slice(slash + 1) }];
  });
}

function writtenRefs(agents: AgentRefs): { path: string; written: string }[] {
  const out: { path: string; written: string }[] = [];
  const visit = (base: string, ref: ModelRef | undefined) => {
    if (ref === undefined) return;
    if (typeof ref === "string") return void out.push({ path: base, written: ref });
    out.push({ path: `${base}.primary`, written: ref.primary });
    (ref.fallbacks ?? []).forEach((f, i) => out.push({ path: `${base}.fallbacks.${i}`, written: f }));
    (ref.contextFallbacks ?? []).forEach((f, i) =>
      out.push({ path: `${base}.contextFallbacks.${i}`, written: f }),
    );
  };
  visit("agents.defaults.model", agents.defaults.model);
  for (const [id, entry] of Object.entries(agents.entries)) visit(`agents.entries.${id}.model`, entry.model);
  return out;
}

/**
 * Problems with model refs and aliases: a ref whose provider is not under models.providers (it
 * could never run, so it stops startup, exit 78, instead of failing the first turn that reaches
 * it), an alias nobody defined, an alias defined twice, and the reserved provider id.
 */
export function modelRefProblems(
  agents: AgentRefs,
  models: Pick<ModelsConfig, "providers">,
): ConfigProblem[] {
  const known = Object.keys(models.providers);
  const listed = known.length > 0 ? known.join(", ") : "none";
  const out: ConfigProblem[] = [];
  if (Object.hasOwn(models.providers, RESERVED_PROVIDER)) {
    out.push({
      path: `models.providers.${RESERVED_PROVIDER}`,
      message: `provider id "${RESERVED_PROVIDER}" is reserved (the OpenAI API's keel/<agent> model ids); choose another id`,
    });
  }
  out.push(...aliasProblems(agents, listed));
  for (const s of modelRefSites(agents)) {
    if (Object.hasOwn(models.providers, s.provider)) continue;
    const via = s.written === s.ref ? "" : ` (alias "${s.written}")`;
    out.push({
      path: s.path,
      message: `"${s.ref}"${via} names provider "${s.provider}", which is not configured (models.providers: ${listed})`,
    });
  }
  return out;
}

function aliasProblems(agents: AgentRefs, listed: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Map<string, string>();
  for (const [ref, settings] of Object.entries(agents.defaults.models ?? {})) {
    if (settings.alias === undefined) continue;
    const key = settings.alias.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      out.push({
        path: `agents.defaults.models.${ref}.alias`,
        message: `alias "${settings.alias}" is already the alias of "${first}"`,
      });
    } else seen.set(key, ref);
  }
  const aliases = [...seen.keys()];
  for (const { path, written } of writtenRefs(agents)) {
    if (written.includes("/") || seen.has(written.toLowerCase())) continue;
    out.push({
      path,
      message: `"${written}" is neither "provider/model" nor a configured alias (aliases: ${aliases.join(", ") || "none"}; providers: ${listed})`,
    });
  }
  return out;
}

/**
 * Problems with auth profiles: a profile naming a provider that is not configured (or whose id
 * does not start with its provider), an order entry for an unknown provider, or naming a profile
 * that does not exist or belongs to another provider. `<provider>:default` in an order is the
 * provider's own apiKey when no profile has that id.
 */
export function authProblems(
  auth: Pick<AuthConfig, "profiles" | "order">,
  models: Pick<ModelsConfig, "providers">,
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const listed = Object.keys(models.providers).join(", ") || "none";
  for (const [id, profile] of Object.entries(auth.profiles)) {
    const path = `auth.profiles.${id}`;
    if (!Object.hasOwn(models.providers, profile.provider)) {
      out.push({
        path: `${path}.provider`,
        message: `names provider "${profile.provider}", which is not configured (models.providers: ${listed})`,
      });
    } else if (!id.startsWith(`${profile.provider}:`)) {
      out.push({ path, message: `a profile id starts with its provider: "${profile.provider}:<name>"` });
    } else if (
      id === `${profile.provider}:default` &&
      models.providers[profile.provider]!.apiKey !== undefined
    ) {
      out.push({
        path,
        message: `"${id}" is already models.providers.${profile.provider}.apiKey; name the profile otherwise`,
      });
    }
  }
  for (const [provider, ids] of Object.entries(auth.order)) {
    if (!Object.hasOwn(models.providers, provider)) {
      out.push({
        path: `auth.order.${provider}`,
        message: `provider "${provider}" is not configured (models.providers: ${listed})`,
      });
      continue;
    }
    ids.forEach((id, i) => {
      const problem = orderEntryProblem(auth, models, provider, id);
      if (problem) out.push({ path: `auth.order.${provider}.${i}`, message: problem });
    });
  }
  return out;
}

function orderEntryProblem(
  auth: Pick<AuthConfig, "profiles">,
  models: Pick<ModelsConfig, "providers">,
  provider: string,
  id: string,
): string | undefined {
  const profile = auth.profiles[id];
  if (profile !== undefined) {
    return profile.provider === provider
      ? undefined
      : `profile "${id}" belongs to provider "${profile.provider}"`;
  }
  if (id === `${provider}:default` && models.providers[provider]?.apiKey !== undefined) return undefined;
  const own = Object.keys(auth.profiles).filter((p) => auth.profiles[p]!.provider === provider);
  if (models.providers[provider]?.apiKey !== undefined) own.unshift(`${provider}:default`);
  return `unknown profile "${id}" (profiles of ${provider}: ${own.join(", ") || "none"})`;
}
