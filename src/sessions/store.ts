// The SessionStore interface every backend implements (SQLite now, Postgres later) and its row types.
import type { CooldownPort } from "../models/cooldowns.js";
import { type GatewayError, invalidRequest } from "../protocol/errors.js";
import type { RunMarker, RunMarkers } from "./run-markers.js";
import type { UsageLedger, UsageRecord } from "./usage-store.js";

/**
 * One session index row. Live rows have a unique `key`; retired rows (left by reset and delete,
 * pruned later) keep theirs for display. A live row may be archived: hidden from the default
 * list but kept and restorable, which is what clients mean by an archived session.
 */
export interface SessionEntry {
  key: string;
  agentId: string;
  /** UUID of the current transcript; `reset` mints a new one under the same key. */
  sessionId: string;
  label?: string;
  displayName?: string;
  /** A strict user override set by `sessions.patch` ("provider/model" split in two). */
  providerOverride?: string;
  modelOverride?: string;
  thinkingLevel?: string;
  verboseLevel?: string;
  createdAt: number;
  /** Last write of any kind (message, patch, usage); the list is ordered by it. */
  updatedAt: number;
  sessionStartedAt: number;
  /** Last user message; idle resets measure from here, never from updatedAt (spec §3.2). */
  lastInteractionAt?: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  contextTokens?: number;
  /**
   * Messages in this sessionId's transcript (compacted ones not counted), kept on the row so
   * nobody counts transcript rows.
   */
  messageCount: number;
  /** Leading messages sessions.compact moved to the transcript's archive. */
  compactedCount?: number;
  /** When a reset or delete retired this row (then it is not live and is pruned later). */
  retiredAt?: number;
  /** When a client archived this live session (sessions.patch archived: true), and why. */
  archivedAt?: number;
  archiveReason?: string;
  /** How the latest run ended (ok, error, aborted, interrupted), once one has. */
  lastRunStatus?: string;
}

/** Read-only view handed to callers: a cached or shared row can never be mutated through it. */
export type SessionView = Readonly<SessionEntry>;

/** The session's strict model override as a "provider/model" ref, when sessions.patch set one. */
export function modelOverrideRef(entry: SessionView): string | undefined {
  if (!entry.providerOverride || !entry.modelOverride) return undefined;
  return `${entry.providerOverride}/${entry.modelOverride}`;
}

export type MessageRole = "user" | "assistant" | "system";

/** One transcript row. `seq` starts at 1 and is contiguous within a sessionId. */
export interface TranscriptMessage {
  id: string;
  sessionId: string;
  seq: number;
  role: MessageRole;
  content: string;
  /** The rich content (see StoredPart), when the message had more than plain text. */
  parts?: readonly StoredPart[];
  timestamp: number;
  runId?: string;
  idempotencyKey?: string;
  /** Free-form metadata: aborted, stopReason, usage, provider, model… */
  meta?: Readonly<Record<string, unknown>>;
}

/**
 * One content part as stored: the run engine's parts (text, image, tool_call, tool_result,
 * thinking) as JSON. The store keeps them as given; wire.ts maps them for chat.history.
 */
export type StoredPart = Readonly<Record<string, unknown>> & { readonly type: string };

export interface AppendInput {
  /** The key is checked against the sessionId so a stale run cannot write into a reused key. */
  sessionKey: string;
  sessionId: string;
  role: MessageRole;
  /** The plain text (what lists, previews and search read). */
  content: string;
  /** Rich parts, when there is more than text (images, tool calls and results, thinking). */
  parts?: readonly StoredPart[];
  timestamp?: number;
  runId?: string;
  /** Appending twice with the same key in one session returns the first row instead. */
  idempotencyKey?: string;
  meta?: Record<string, unknown>;
}

/** What the end of a run writes (see SessionStore.endRun). */
export interface RunEnd {
  runId: string;
  /** The session's last run status (`ok`, `error`, `aborted`). */
  status: string;
  message?: AppendInput;
  usage?: { key: string; input: number; output: number; total?: number };
  /** The run's durable usage record (see UsageLedger.record). */
  record?: UsageRecord;
}

/** Fields `patch` may change; `null` clears a field. */
export interface SessionPatch {
  label?: string | null;
  displayName?: string | null;
  providerOverride?: string | null;
  modelOverride?: string | null;
  thinkingLevel?: string | null;
  verboseLevel?: string | null;
  contextTokens?: number | null;
  /** true archives the live session (reason "manual"); false restores it. */
  archived?: boolean;
}

/** A compare-and-set condition on a write: the key's live session must still be this sessionId. */
export interface SessionGuard {
  expectedSessionId?: string;
}

export interface ListQuery {
  limit: number;
  offset?: number;
  agentId?: string;
  /** Only sessions of these agents (configuredAgentsOnly). */
  agentIds?: readonly string[];
  /** Only sessions updated within the last N minutes. */
  activeMinutes?: number;
  /** Case-insensitive substring of key, label or displayName. */
  search?: string;
  /** Exact label. */
  label?: string;
  /** `true` lists retired rows (left by reset and delete) instead of live sessions. */
  retired?: boolean;
  /** Archived live sessions: left out (default), listed with the others, or listed alone. */
  archived?: "exclude" | "include" | "only";
  /** Keys left out (e.g. `global`, `unknown` unless asked for). */
  excludeKeys?: readonly string[];
  now?: number;
}

export interface ListPage {
  rows: ReadonlyArray<SessionView>;
  /** Rows matching the filters, all pages together. */
  total: number;
  hasMore: boolean;
  nextOffset: number | null;
}

export interface HistoryQuery {
  limit: number;
  /**
   * Messages skipped from the END: offset 0 with limit N is the newest N, the page for
   * offset N the N before those. Reference clients ask for "the last N", so counting from the
   * end keeps their first request cheap and stable while messages are appended.
   */
  offset?: number;
}

export interface HistoryPage {
  /** Oldest first (newest last), as chat.history shows them. */
  messages: ReadonlyArray<Readonly<TranscriptMessage>>;
  /** Older messages exist before this page. */
  hasMore: boolean;
  /** The offset of the next (older) page, or null at the start of the transcript. */
  nextOffset: number | null;
  total: number;
}

export interface PruneOptions {
  /** Live sessions kept per agent, most recently updated first. */
  maxEntries: number;
  /** Live sessions not updated for this long, and retired ones retired this long ago, go. */
  pruneAfterMs: number;
  /** Sessions for which this returns true are never pruned (the run engine: "has an active run"). */
  keep: (sessionKey: string) => boolean;
  /** Only this agent (the on-write pass); every agent when omitted (the timer). */
  agentId?: string;
  now?: number;
}

export interface PruneResult {
  /** Live sessions removed (over the cap or stale), with their transcripts. */
  pruned: number;
  /** Retired rows removed, with their transcripts. */
  purged: number;
}

export interface CompactResult {
  /** Whether any message moved to the archive. */
  compacted: boolean;
  /** Messages left in the transcript. */
  kept: number;
  /** Messages moved by this call. */
  moved: number;
}

export interface StoreStats {
  /** Transcript rows read since open: listing must leave this unchanged (stability §1). */
  readonly transcriptRowsRead: number;
}

/** Async on purpose: a network backend (Postgres) implements the same contract. */
export interface SessionStore {
  /** Where the data lives, as `sessions.list` reports it. */
  readonly path: string;
  readonly stats: StoreStats;
  /** Durable marks of started runs, for crash recovery (runs/recovery.ts). */
  readonly runMarkers: RunMarkers;
  /** Where model cooldowns persist, when the backend keeps them (a restart keeps providers cooled). */
  readonly cooldowns?: CooldownPort;
  /** Durable per-run token usage (usage.cost), when the backend keeps it. */
  readonly usage?: UsageLedger;
  /** The live session of `key`, created for `agentId` when missing. */
  ensure(agentId: string, key: string): Promise<{ entry: SessionView; created: boolean }>;
  /** The live session of `key`. */
  get(key: string): Promise<SessionView | undefined>;
  /** Any session row, live or retired, by its sessionId. */
  getBySessionId(sessionId: string): Promise<SessionView | undefined>;
  /**
   * Changes fields of a live session; throws when the key has none, or (with
   * `expectedSessionId`) when its sessionId is another: the check and the write are one statement.
   */
  patch(key: string, patch: SessionPatch, guard?: SessionGuard): Promise<SessionView>;
  /** New sessionId under the same key; the old transcript stays as a retired row until pruned. */
  reset(key: string): Promise<SessionView>;
  /**
   * Retires the live session of `key` (step one of delete); undefined when there is none (or,
   * with `expectedSessionId`, when its sessionId is another).
   */
  retire(key: string, guard?: SessionGuard): Promise<SessionView | undefined>;
  /** Removes a retired session and its transcript; false when not found or still live. */
  purge(sessionId: string): Promise<boolean>;
  /**
   * Keeps the newest `maxLines` messages of the live session's transcript and moves the older
   * ones to its archive (readable with {@link readCompacted}), in bounded batches.
   */
  compact(key: string, maxLines: number): Promise<CompactResult>;
  /** A page of a transcript's compacted (archived) messages, newest last, offset from the end. */
  readCompacted(sessionId: string, query: HistoryQuery): Promise<HistoryPage>;
  list(query: ListQuery): Promise<ListPage>;
  /** Resolves once the row is durable under the configured synchronous mode. */
  appendMessage(input: AppendInput): Promise<Readonly<TranscriptMessage>>;
  /**
   * A run's start as one commit, where the backend can: its mark (runMarkers.open), then its
   * user message. Without it the run engine makes the two calls in that order.
   */
  beginRun?(marker: RunMarker, message: AppendInput): Promise<Readonly<TranscriptMessage>>;
  /**
   * A run's end as one commit, where the backend can: its reply (when there is one), its usage
   * (addUsage), then its mark closed (runMarkers.close); resolves with the reply's row. Without
   * it the engine makes the calls.
   */
  endRun?(end: RunEnd): Promise<Readonly<TranscriptMessage> | undefined>;
  readHistory(sessionId: string, query: HistoryQuery): Promise<HistoryPage>;
  countMessages(sessionId: string): Promise<number>;
  addUsage(
    key: string,
    usage: { input: number; output: number; total?: number; context?: number },
  ): Promise<void>;
  prune(options: PruneOptions): Promise<PruneResult>;
  /** Called after a session row is created; maintenance uses it to prune on write. */
  onSessionCreated(listener: (entry: SessionView) => void): () => void;
  close(): Promise<void>;
}

/** A guarded write whose key now holds another sessionId (a reset or delete happened since). */
export function sessionIdMismatch(key: string, expected: string, actual: string | undefined): GatewayError {
  return invalidRequest("expectedSessionId mismatch", {
    code: "SESSION_ID_MISMATCH",
    key,
    expectedSessionId: expected,
    ...(actual === undefined ? {} : { sessionId: actual }),
  });
}

/** What every backend throws for a key with no live session. */
export function sessionNotFound(key: string): GatewayError {
  return invalidRequest(`session not found: ${key}`, { code: "SESSION_NOT_FOUND", key });
}
