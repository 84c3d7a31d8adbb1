// Row mapping and list-query SQL for the SQLite store (no I/O here).
import type { ListQuery, SessionEntry, StoredPart, TranscriptMessage } from "./store.js";

/** A `sessions` row as the SQLite driver returns it. */
export interface SessionRow {
  id: number;
  key: string;
  agent_id: string;
  session_id: string;
  label: string | null;
  display_name: string | null;
  provider_override: string | null;
  model_override: string | null;
  thinking_level: string | null;
  verbose_level: string | null;
  created_at: number;
  updated_at: number;
  session_started_at: number;
  last_interaction_at: number | null;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  context_tokens: number | null;
  message_count: number;
  /** Rows a reset or delete left behind (pruned later); never a live session. */
  retired_at: number | null;
  /** The client-visible archive flag of a live session (sessions.patch archived). */
  archived_at: number | null;
  archive_reason: string | null;
  /** Leading transcript rows moved to compacted_messages by sessions.compact. */
  compacted_count: number;
  last_run_status: string | null;
}

export interface MessageRow {
  session_id: string;
  seq: number;
  id: string;
  role: TranscriptMessage["role"];
  content: string;
  parts: string | null;
  timestamp: number;
  run_id: string | null;
  idempotency_key: string | null;
  meta: string | null;
}

/** Columns of the list: the index row only — listing never touches `messages`. */
export const SESSION_COLUMNS = `id, key, agent_id, session_id, label, display_name, provider_override,
  model_override, thinking_level, verbose_level, created_at, updated_at, session_started_at,
  last_interaction_at, input_tokens, output_tokens, total_tokens, context_tokens, message_count, retired_at,
  archived_at, archive_reason, compacted_count, last_run_status`;

/** A fresh object per row, optional fields omitted rather than null (the wire shape). */
export function toEntry(r: SessionRow): SessionEntry {
  const e: SessionEntry = {
    key: r.key,
    agentId: r.agent_id,
    sessionId: r.session_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    sessionStartedAt: r.session_started_at,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    totalTokens: r.total_tokens,
    messageCount: r.message_count - r.compacted_count,
  };
  if (r.label !== null) e.label = r.label;
  if (r.display_name !== null) e.displayName = r.display_name;
  if (r.provider_override !== null) e.providerOverride = r.provider_override;
  if (r.model_override !== null) e.modelOverride = r.model_override;
  if (r.thinking_level !== null) e.thinkingLevel = r.thinking_level;
  if (r.verbose_level !== null) e.verboseLevel = r.verbose_level;
  if (r.last_interaction_at !== null) e.lastInteractionAt = r.last_interaction_at;
  if (r.context_tokens !== null) e.contextTokens = r.context_tokens;
  if (r.retired_at !== null) e.retiredAt = r.retired_at;
  if (r.archived_at !== null) e.archivedAt = r.archived_at;
  if (r.archive_reason !== null) e.archiveReason = r.archive_reason;
  if (r.compacted_count > 0) e.compactedCount = r.compacted_count;
  if (r.last_run_status !== null) e.lastRunStatus = r.last_run_status;
  return e;
}

export function toMessage(r: MessageRow): TranscriptMessage {
  const m: TranscriptMessage = {
    id: r.id,
    sessionId: r.session_id,
    seq: r.seq,
    role: r.role,
    content: r.content,
    timestamp: r.timestamp,
  };
  if (r.run_id !== null) m.runId = r.run_id;
  if (r.idempotency_key !== null) m.idempotencyKey = r.idempotency_key;
  if (r.meta !== null) m.meta = JSON.parse(r.meta) as Record<string, unknown>;
  if (r.parts !== null) m.parts = JSON.parse(r.parts) as StoredPart[];
  return m;
}

/** WHERE clause and bound values for a list query; the clause text depends only on which filters are set. */
export function listWhere(q: ListQuery): { sql: string; params: Record<string, unknown> } {
  // `retired_at IS NULL` spelled literally so SQLite can use the partial indexes.
  const parts = [q.retired ? "retired_at IS NOT NULL" : "retired_at IS NULL"];
  const archived = q.archived ?? "exclude";
  if (archived === "exclude") parts.push("archived_at IS NULL");
  else if (archived === "only") parts.push("archived_at IS NOT NULL");
  const params: Record<string, unknown> = {};
  if (q.agentId !== undefined) {
    parts.push("agent_id = @agentId");
    params.agentId = q.agentId;
  }
  if (q.agentIds !== undefined) {
    parts.push("agent_id IN (SELECT value FROM json_each(@agentIds))");
    params.agentIds = JSON.stringify(q.agentIds);
  }
  if (q.activeMinutes !== undefined) {
    parts.push("updated_at >= @since");
    params.since = (q.now ?? Date.now()) - q.activeMinutes * 60_000;
  }
  if (q.label !== undefined) {
    parts.push("label = @label");
    params.label = q.label;
  }
  if (q.search !== undefined && q.search !== "") {
    // instr, not LIKE: a search for "50%" or "a_b" means those characters.
    parts.push(
      "(instr(lower(key), @search) > 0 OR instr(lower(coalesce(label, '')), @search) > 0" +
        " OR instr(lower(coalesce(display_name, '')), @search) > 0)",
    );
    params.search = q.search.toLowerCase();
  }
  if (q.excludeKeys !== undefined && q.excludeKeys.length > 0) {
    parts.push("key NOT IN (SELECT value FROM json_each(@exclude))");
    params.exclude = JSON.stringify(q.excludeKeys);
  }
  return { sql: parts.join(" AND "), params };
}
