// Pruning for the SQLite store: over-cap and stale live sessions, then old retired rows, in batches.
import type { SqlDb } from "./driver.js";
import type { PruneOptions, PruneResult } from "./store.js";

/** Rows removed per transaction: keeps each write-lock hold short while the gateway serves. */
const BATCH = 500;

interface Candidate {
  key: string;
  session_id: string;
}

/**
 * Removes, per agent, live sessions beyond `maxEntries` (least recently updated first) and live
 * sessions not updated within `pruneAfterMs`; then retired rows retired longer ago than
 * `pruneAfterMs`. Transcripts go with their session. `keep(key)` protects a session whatever
 * its age or rank. Memory stays at one batch of keys however many rows go.
 */
export function pruneSessions(db: SqlDb, o: PruneOptions): PruneResult {
  const now = o.now ?? Date.now();
  const cutoff = now - o.pruneAfterMs;
  const agents = o.agentId
    ? [o.agentId]
    : (db.prepare("SELECT DISTINCT agent_id AS a FROM sessions").all() as { a: string }[]).map((r) => r.a);
  const overCap = db.prepare(
    `SELECT key, session_id FROM sessions WHERE agent_id = ? AND retired_at IS NULL
     ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?`,
  );
  const stale = db.prepare(
    `SELECT key, session_id FROM sessions WHERE agent_id = ? AND retired_at IS NULL AND updated_at < ?
     ORDER BY id LIMIT ? OFFSET ?`,
  );
  const retired = db.prepare(
    `SELECT key, session_id FROM sessions WHERE retired_at IS NOT NULL AND retired_at < ?
     AND (? IS NULL OR agent_id = ?) ORDER BY id LIMIT ? OFFSET ?`,
  );
  const remove = removeBatch(db);
  let pruned = 0;
  for (const agent of agents) {
    pruned += drain(o.keep, remove, (skip) => overCap.all(agent, BATCH, o.maxEntries + skip) as Candidate[]);
    pruned += drain(o.keep, remove, (skip) => stale.all(agent, cutoff, BATCH, skip) as Candidate[]);
  }
  const agentId = o.agentId ?? null;
  const purged = drain(
    o.keep,
    remove,
    (skip) => retired.all(cutoff, agentId, agentId, BATCH, skip) as Candidate[],
  );
  return { pruned, purged };
}

/**
 * Deletes candidates batch by batch until a query returns none. Kept rows stay where they were
 * in the order, so skipping as many rows as were kept so far reaches the next unseen batch.
 */
function drain(
  keep: (key: string) => boolean,
  remove: (ids: string[]) => void,
  next: (skip: number) => Candidate[],
): number {
  let kept = 0;
  let removed = 0;
  for (;;) {
    const batch = next(kept);
    if (batch.length === 0) return removed;
    const ids: string[] = [];
    for (const c of batch) {
      if (keep(c.key)) kept++;
      else ids.push(c.session_id);
    }
    remove(ids);
    removed += ids.length;
  }
}

function removeBatch(db: SqlDb): (ids: string[]) => void {
  const messages = db.prepare("DELETE FROM messages WHERE session_id = ?");
  const compacted = db.prepare("DELETE FROM compacted_messages WHERE session_id = ?");
  const session = db.prepare("DELETE FROM sessions WHERE session_id = ?");
  return db.transaction((ids: string[]) => {
    for (const id of ids) {
      messages.run(id);
      compacted.run(id);
      session.run(id);
    }
  });
}
