// Config-level model warnings: what keeps chats from working without being a config error.
import { envProviderHint } from "../config/env-providers.js";
import { modelRefSites } from "../config/refs.js";
import type { Config } from "../config/schema.js";

/**
 * One line per problem the gateway starts with anyway: no provider configured, an agent without
 * a model, a model id its provider's `models` list does not contain (gateways such as OpenRouter
 * serve many models, so that one only warns). `health` and `status` carry these as `warnings`,
 * and the gateway logs them once at startup. A ref to an unknown provider never gets here: the
 * loader refuses it (exit 78).
 */
export function configWarnings(config: Pick<Config, "agents" | "models">): string[] {
  const { agents, models } = config;
  const out: string[] = [];
  if (Object.keys(models.providers).length === 0) {
    out.push(
      `no model provider configured (models.providers is empty, and no ${envProviderHint()} in the environment): no chat can run`,
    );
  }
  const ids = new Set([agents.defaultId, ...Object.keys(agents.entries)]);
  for (const id of ids) {
    if (agents.entries[id]?.model !== undefined || agents.defaults.model !== undefined) continue;
    const which = id === agents.defaultId ? `default agent "${id}"` : `agent "${id}"`;
    out.push(`${which} has no model configured (set agents.defaults.model or agents.entries.${id}.model)`);
  }
  for (const site of modelRefSites(agents)) {
    const provider = models.providers[site.provider];
    if (!provider || provider.models.some((m) => m.id === site.model)) continue;
    out.push(
      `${site.path}: model id "${site.model}" is not in models.providers.${site.provider}.models` +
        ` (listed: ${provider.models.map((m) => m.id).join(", ") || "none"}); it is called with default limits`,
    );
  }
  return out;
}
