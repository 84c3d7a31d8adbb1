// An agent's candidate chain, resolved through the model registry.
import { envProviderHint } from "../config/env-providers.js";
import type { Cooldowns } from "../models/cooldowns.js";
import type { CredentialPins } from "../models/pins.js";
import type { ModelRegistry } from "../models/registry.js";
import { ModelError } from "../models/types.js";
import { GatewayError } from "../protocol/errors.js";
import type { Candidate, RunModels } from "./ports.js";

/** Adapts the model registry to what runs need: resolved candidates, first to last, and the pins. */
export function runModels(
  registry: () => ModelRegistry,
  pins?: CredentialPins,
  cooldowns?: Cooldowns,
): RunModels {
  return {
    ...(pins ? { pins } : {}),
    ...(cooldowns ? { cooldowns } : {}),
    candidates(agentId, strictRef) {
      const models = registry();
      const selection = models.agentModel(agentId);
      const refs = strictRef ? [strictRef] : selection ? [selection.primary, ...selection.fallbacks] : [];
      if (refs.length === 0) {
        const none = models.providers.size === 0 && models.unusable.size === 0;
        throw new GatewayError(
          "UNAVAILABLE",
          none
            ? `no model provider is configured: set ${envProviderHint()} in the gateway's environment and restart it, or add a provider under models.providers and set agents.defaults.model to "provider/model"`
            : `agent "${agentId}" has no model configured: set agents.defaults.model (or agents.entries.${agentId}.model) to "provider/model" and add the provider under models.providers`,
          { retryable: false, details: { reason: "no-model" } },
        );
      }
      const { out, errors } = resolveAll(models, refs);
      if (out.length === 0)
        throw new GatewayError("UNAVAILABLE", errors.join("; "), {
          retryable: false,
          details: { reason: "no-model" },
        });
      return out;
    },
    contextCandidates(agentId, strictRef) {
      if (strictRef) return [];
      const models = registry();
      return resolveAll(models, models.agentModel(agentId)?.contextFallbacks ?? []).out;
    },
  };
}

/** Resolves refs to candidates; a ref that names no configured provider is skipped with its reason. */
function resolveAll(models: ModelRegistry, refs: readonly string[]): { out: Candidate[]; errors: string[] } {
  const out: Candidate[] = [];
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      const r = models.resolve(ref);
      // An alias and its ref are one model: the chain calls it once.
      if (out.some((c) => c.ref === r.ref)) continue;
      out.push({
        ref: r.ref,
        providerId: r.provider.id,
        modelId: r.model.id,
        provider: r.provider,
        contextWindow: r.model.contextWindow,
        ...(r.model.maxTokens === undefined ? {} : { maxTokens: r.model.maxTokens }),
        ...(r.endpoint === undefined ? {} : { endpoint: r.endpoint }),
      });
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      errors.push(err.message);
    }
  }
  return { out, errors };
}
