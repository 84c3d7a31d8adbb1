// What the run engine needs from the session store and the model registry (narrow on purpose).
import type { ChatMessage, ModelProvider } from "../models/types.js";

/** Transcript access for runs; the SessionStore is adapted to it in server/start.ts. */
export interface RunStore {
  /** The session's current sessionId, creating the session if the key is new. */
  ensureSession(agentId: string, sessionKey: string): Promise<{ sessionId: string }>;
  /** Appends one message; resolves once it is durable, with its position in the transcript. */
  appendMessage(entry: TranscriptEntry): Promise<{ seq: number }>;
  /** The newest `limit` messages before `beforeSeq` (exclusive), oldest first. */
  recentMessages(
    sessionKey: string,
    sessionId: string,
    limit: number,
    beforeSeq?: number,
  ): Promise<ChatMessage[]>;
  /** Adds token usage to the session's counters. */
  addUsage(sessionKey: string, usage: { input: number; output: number }): Promise<void>;
}

export interface TranscriptEntry {
  sessionKey: string;
  sessionId: string;
  role: "user" | "assistant" | "system";
  content: string;
  runId?: string;
  idempotencyKey?: string;
  meta?: Record<string, unknown>;
}

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
