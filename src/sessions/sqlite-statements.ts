// Prepared statements of the SQLite store and the row ↔ parameter helpers they need.
import type { SqlDb } from "./driver.js";
import { type MessageRow, SESSION_COLUMNS } from "./sqlite-rows.js";
import type { SessionPatch } from "./store.js";

/** Every fixed statement, prepared once per connection. */
export function prepareStatements(db: SqlDb) {
  const one = `SELECT ${SESSION_COLUMNS} FROM sessions`;
  return {
    live: db.prepare(`${one} WHERE key = ? AND retired_at IS NULL`),
    bySessionId: db.prepare(`${one} WHERE session_id = ?`),
    insert: db.prepare(
      `INSERT INTO sessions (key, agent_id, session_id, label, display_name, provider_override,
         model_override, thinking_level, verbose_level, created_at, updated_at, session_started_at)
       VALUES (@key, @agentId, @sessionId, @label, @displayName, @providerOverride,
         @modelOverride, @thinkingLevel, @verboseLevel, @createdAt, @now, @now)`,
    ),
    patch: db.prepare(
      `UPDATE sessions SET ${PATCH_FIELDS.map(([f, c]) => `${c} = CASE WHEN @has_${f} THEN @${f} ELSE ${c} END`).join(", ")},
         archived_at = CASE WHEN @has_archived THEN @archivedAt ELSE archived_at END,
         archive_reason = CASE WHEN @has_archived THEN @archiveReason ELSE archive_reason END,
         updated_at = @now
       WHERE key = @key AND retired_at IS NULL AND (@expected IS NULL OR session_id = @expected)`,
    ),
    liveKeysIn: db.prepare(
      "SELECT key FROM sessions WHERE key IN (SELECT value FROM json_each(?)) AND retired_at IS NULL",
    ),
    retire: db.prepare(
      "UPDATE sessions SET retired_at = ? WHERE key = ? AND retired_at IS NULL AND (? IS NULL OR session_id = ?)",
    ),
    purgeMessages: db.prepare("DELETE FROM messages WHERE session_id = ?"),
    purgeCompacted: db.prepare("DELETE FROM compacted_messages WHERE session_id = ?"),
    purgeSession: db.prepare("DELETE FROM sessions WHERE session_id = ? AND retired_at IS NOT NULL"),
    byIdempotency: db.prepare("SELECT * FROM messages WHERE session_id = ? AND idempotency_key = ?"),
    compactedByIdempotency: db.prepare(
      `SELECT session_id, seq, id, role, content, parts, timestamp, run_id, idempotency_key, meta
       FROM compacted_messages WHERE session_id = ? AND idempotency_key = ?`,
    ),
    insertMessage: db.prepare(
      `INSERT INTO messages (session_id, seq, id, role, content, parts, timestamp, run_id, idempotency_key, meta)
       VALUES (@sessionId, @seq, @id, @role, @content, @parts, @timestamp, @runId, @idempotencyKey, @meta)`,
    ),
    touchAfterAppend: db.prepare(
      `UPDATE sessions SET message_count = @seq, updated_at = @now,
         last_interaction_at = CASE WHEN @isUser THEN @timestamp ELSE last_interaction_at END
       WHERE session_id = @sessionId`,
    ),
    history: db.prepare("SELECT * FROM messages WHERE session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq"),
    compactedHistory: db.prepare(
      "SELECT * FROM compacted_messages WHERE session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq",
    ),
    usage: db.prepare(
      `UPDATE sessions SET input_tokens = input_tokens + @input, output_tokens = output_tokens + @output,
         total_tokens = total_tokens + @total, context_tokens = coalesce(@context, context_tokens),
         updated_at = @now WHERE key = @key AND retired_at IS NULL`,
    ),
  };
}

/** Patchable fields and their columns. */
export const PATCH_FIELDS = [
  ["label", "label"],
  ["displayName", "display_name"],
  ["providerOverride", "provider_override"],
  ["modelOverride", "model_override"],
  ["thinkingLevel", "thinking_level"],
  ["verboseLevel", "verbose_level"],
  ["contextTokens", "context_tokens"],
] as const satisfies ReadonlyArray<readonly [keyof SessionPatch, string]>;

export const NO_FIELDS = {
  label: null,
  displayName: null,
  providerOverride: null,
  modelOverride: null,
  thinkingLevel: null,
  verboseLevel: null,
};

export function fromMessageRow(r: MessageRow): Record<string, unknown> {
  return {
    sessionId: r.session_id,
    seq: r.seq,
    id: r.id,
    role: r.role,
    content: r.content,
    parts: r.parts,
    timestamp: r.timestamp,
    runId: r.run_id,
    idempotencyKey: r.idempotency_key,
    meta: r.meta,
  };
}
