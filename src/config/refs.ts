// Every model ref in a config with its dotted path, and the cross-section check that each names a configured provider.
import type { ConfigProblem } from "./load.js";
import type { AgentsConfig, ModelRef, ModelsConfig } from "./schema.js";

/** One "provider/model" string found in the agents section. */
export interface ModelRefSite {
  /** Dotted path, e.g. `agents.defaults.model.fallbacks.1` or `agents.entries.ops.model`. */
  path: string;
  ref: string;
  provider: string;
  model: string;
}

/** Every model ref of agents.defaults and agents.entries.*, primary before fallbacks. */
export function modelRefSites(agents: Pick<AgentsConfig, "defaults" | "entries">): ModelRefSite[] {
  const out: ModelRefSite[] = [];
  const visit = (base: string, ref: ModelRef | undefined) => {
    if (ref === undefined) return;
    if (typeof ref === "string") return void push(out, base, ref);
    push(out, `${base}.primary`, ref.primary);
    (ref.fallbacks ?? []).forEach((f, i) => push(out, `${base}.fallbacks.${i}`, f));
  };
  visit("agents.defaults.model", agents.defaults.model);
  for (const [id, entry] of Object.entries(agents.entries)) visit(`agents.entries.${id}.model`, entry.model);
  return out;
}

function push(out: ModelRefSite[], path: string, ref: string): void {
  // The schema guarantees a slash; the model id may contain more ("openrouter/a/b").
  const slash = ref.indexOf("/");
  out.push({ path, ref, provider: ref.slice(0, slash), model: ref.slice(slash + 1) });
}

/**
 * One problem per ref whose provider is not under models.providers. Such a ref could never run,
 * so it stops startup (exit 78) instead of failing the first turn that reaches it.
 */
export function unknownProviderProblems(
  agents: Pick<AgentsConfig, "defaults" | "entries">,
  models: Pick<ModelsConfig, "providers">,
): ConfigProblem[] {
  const known = Object.keys(models.providers);
  const listed = known.length > 0 ? known.join(", ") : "none";
  return modelRefSites(agents)
    .filter((s) => !Object.hasOwn(models.providers, s.provider))
    .map((s) => ({
      path: s.path,
      message: `"${s.ref}" names provider "${s.provider}", which is not configured (models.providers: ${listed})`,
    }));
}
