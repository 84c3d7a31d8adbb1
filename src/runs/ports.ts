// What the run engine needs from the model registry: resolved candidates (narrow on purpose).
import type { ModelProvider } from "../models/types.js";

/** One model a turn may try, already resolved to its provider. */
export interface Candidate {
  /** "provider/model" */
  ref: string;
  providerId: string;
  modelId: string;
  provider: ModelProvider;
  contextWindow: number;
  maxTokens?: number;
}

export interface RunModels {
  /**
   * The candidates of a turn, first to last. With `strictRef` only that model (a user override
   * reports its real error instead of falling back). Throws a GatewayError when nothing is configured.
   */
  candidates(agentId: string, strictRef?: string): Candidate[];
}
