// What the run engine needs from the model registry: resolved candidates (narrow on purpose).
import type { Candidate } from "../models/failover.js";
import type { Cooldowns } from "../models/cooldowns.js";
import type { CredentialPins } from "../models/pins.js";

export type { Candidate };

export interface RunModels {
  /**
   * The candidates of a turn, first to last. With `strictRef` only that model (a user override
   * reports its real error instead of falling back). Throws a GatewayError when nothing is configured.
   */
  candidates(agentId: string, strictRef?: string): Candidate[];
  /**
   * The agent's `contextFallbacks`, resolved: larger models a turn tries only for `context_length`
   * (none for a strict ref). Refs that name no configured provider are skipped.
   */
  contextCandidates(agentId: string, strictRef?: string): Candidate[];
  /**
   * Every session's credential pins, one store per gateway (it outlives config reloads). A turn
   * hands `pins.forSession(run.sessionId)` to its FailoverProvider as `pins`.
   */
  readonly pins?: CredentialPins;
  /** The gateway's cooldowns, one store per gateway; a turn hands it to its FailoverProvider. */
  readonly cooldowns?: Cooldowns;
}
