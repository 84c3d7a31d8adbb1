// An agent's candidate chain, resolved through the model registry.
import type { ModelRegistry } from "../models/registry.js";
import { ModelError } from "../models/types.js";
import { GatewayError } from "../protocol/errors.js";
import type { Candidate, RunModels } from "./ports.js";

/** Adapts the model registry to what runs need: resolved candidates, first to last. */
export function runModels(registry: () => ModelRegistry): RunModels {
  return {
    candidates(agentId, strictRef) {
      const models = registry();
      const selection = models.agentModel(agentId);
      const refs = strictRef ? [strictRef] : selection ? [selection.primary, ...selection.fallbacks] : [];
      if (refs.length === 0) {
        throw new GatewayError(
          "UNAVAILABLE",
          `agent "${agentId}" has no model configured: set agents.defaults.model (or agents.entries.${agentId}.model) to "provider/model" and add the provider under models.providers`,
          { retryable: false, details: { reason: "no-model" } },
        );
      }
      const out: Candidate[] = [];
      const errors: string[] = [];
      for (const ref of refs) {
        try {
          const r = models.resolve(ref);
          out.push({
            ref,
            providerId: r.provider.id,
            modelId: r.model.id,
            provider: r.provider,
            contextWindow: r.model.contextWindow,
            ...(r.model.maxTokens === undefined ? {} : { maxTokens: r.model.maxTokens }),
          });
        } catch (err) {
          // A ref that names no configured provider is skipped; if none resolves, say why.
          if (!(err instanceof ModelError)) throw err;
          errors.push(err.message);
        }
      }
      if (out.length === 0)
        throw new GatewayError("UNAVAILABLE", errors.join("; "), {
          retryable: false,
          details: { reason: "no-model" },
        });
      return out;
    },
  };
}
