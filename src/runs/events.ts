// RunEvent: what a run emits, in Keel's own vocabulary. Each surface projects it to its wire format.
import type { AttemptRecord } from "../models/types.js";
import type { TranscriptMessage } from "../sessions/store.js";

/** Where a run is before its first token. */
export type RunPhase = "preparing_context" | "starting_model";

/** What every event carries: which run, and its place in the run's sequence. */
export interface RunEventBase {
  runId: string;
  sessionKey: string;
  agentId: string;
  sessionId: string;
  /**
   * The run's event counter: each event after `accepted` advances it by one, so a subscriber can
   * tell a gap from a duplicate. `accepted` carries 0.
   */
  seq: number;
  ts: number;
  /** Who started the run, when a surface said (a WebSocket connection id): its events go back to it. */
  startedBy?: string;
}

/** A transcript row a run wrote (the user's message, the reply), as the store returned it. */
export type WrittenMessage = Readonly<TranscriptMessage>;

/** The event types, without the common fields. */
export type RunEventBody =
  /** Admitted: running at once, or queued behind the session's active run. */
  | { type: "accepted"; queued: boolean }
  | { type: "status"; phase: RunPhase }
  /** The turn began (after its history was read). */
  | { type: "started"; startedAt: number; userMessage?: WrittenMessage }
  /** A candidate is being called (one per failover attempt). */
  | { type: "model"; ref: string; provider: string; model: string; credential: string }
  /** New text: `delta` since the previous one, `text` the whole reply so far (throttled). */
  | { type: "delta"; delta: string; text: string }
  /** Reasoning text, apart from the reply (not throttled: it is rarer and the model's own pace). */
  | { type: "thinking"; delta: string }
  /** The model asked for a tool call (Keel has no tool loop yet: the turn ends with tool_calls). */
  | { type: "tool_call"; id: string; name: string; arguments: string }
  | { type: "usage"; input: number; output: number; cacheRead?: number; cacheWrite?: number }
  | {
      type: "final";
      text: string;
      stopReason: string;
      startedAt: number | undefined;
      endedAt: number;
      replyMessage?: WrittenMessage;
    }
  | {
      type: "aborted";
      text: string;
      reason: string;
      message: string;
      startedAt: number | undefined;
      endedAt: number;
      replyMessage?: WrittenMessage;
    }
  | {
      type: "error";
      text: string;
      /** A ModelError kind, or `config` / `internal` / `timeout` for failures outside a provider. */
      kind: string;
      message: string;
      details: Record<string, unknown>;
      attempts?: readonly AttemptRecord[];
      startedAt: number | undefined;
      endedAt: number;
      replyMessage?: WrittenMessage;
    };

export type RunEvent = RunEventBase & RunEventBody;

/** The terminal event types: exactly one of them is a run's last event. */
export const TERMINAL_EVENTS: ReadonlySet<RunEvent["type"]> = new Set(["final", "aborted", "error"]);

export type RunListener = (event: RunEvent) => void;
