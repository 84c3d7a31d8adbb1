// sessions.compact for the SQLite store: the oldest transcript rows move to compacted_messages in batches.
import type { SqlDb } from "./driver.js";
import type { CompactResult } from "./store.js";

/**
 * Rows moved per transaction. Each batch is one short write-lock hold, and the event loop gets a
 * turn between batches, so compacting a huge transcript never stalls other clients; nothing of
 * the transcript passes through JavaScript (INSERT … SELECT), so memory stays flat.
 */
const BATCH = 1_000;

interface Counts {
  message_count: number;
  compacted_count: number;
}

/** The compaction statements of one connection. */
export function compactStatements(db: SqlDb) {
  const counts = db.prepare(
    "SELECT message_count, compacted_count FROM sessions WHERE session_id = ? AND retired_at IS NULL",
  );
  const copy = db.prepare(
    `INSERT OR IGNORE INTO compacted_messages
       (session_id, seq, id, role, content, parts, timestamp, run_id, idempotency_key, meta, compacted_at)
     SELECT session_id, seq, id, role, content, parts, timestamp, run_id, idempotency_key, meta, @now
       FROM messages WHERE session_id = @sessionId AND seq BETWEEN @from AND @to`,
  );
  const drop = db.prepare("DELETE FROM messages WHERE session_id = @sessionId AND seq BETWEEN @from AND @to");
  const mark = db.prepare(
    "UPDATE sessions SET compacted_count = @to, updated_at = @now WHERE session_id = @sessionId",
  );
  // One batch: re-reads the count inside the transaction, so two compactions at once (or an
  // append between batches) never move a row twice or skip one.
  const step = db.transaction((sessionId: string, cut: number, now: number): number => {
    const c = counts.get(sessionId) as Counts | undefined;
    if (!c || c.compacted_count >= cut) return 0;
    const from = c.compacted_count + 1;
    const to = Math.min(cut, c.compacted_count + BATCH);
    const params = { sessionId, from, to, now };
    copy.run(params);
    drop.run(params);
    mark.run(params);
    return to - from + 1;
  });
  return { counts, step };
}

/**
 * Keeps the newest `maxLines` messages of the live transcript `sessionId` and moves the older
 * ones, oldest first, to `compacted_messages`. Resolves with what is left and what moved.
 */
export async function compactTranscript(
  s: ReturnType<typeof compactStatements>,
  sessionId: string,
  maxLines: number,
): Promise<CompactResult> {
  const start = s.counts.get(sessionId) as Counts | undefined;
  if (!start) return { compacted: false, kept: 0, moved: 0 };
  // Everything up to `cut` goes; messages appended while this runs are after it and stay.
  const cut = start.message_count - maxLines;
  let moved = 0;
  for (;;) {
    const n = s.step.immediate(sessionId, cut, Date.now());
    if (n === 0) break;
    moved += n;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const end = s.counts.get(sessionId) as Counts | undefined;
  const kept = end ? end.message_count - end.compacted_count : 0;
  return { compacted: moved > 0, kept, moved };
}
