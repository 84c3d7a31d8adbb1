// Durable per-run token usage (schema v8 `usage_records`): written at run end, summed per day by usage.cost.
import type { SqlDb, SqlStatement } from "./driver.js";

/** One finished run's usage, as the run engine reports it at the run's end. */
export interface UsageRecord {
  runId: string;
  sessionKey: string;
  sessionId: string;
  agentId: string;
  provider: string;
  model: string;
  /** Epoch ms the run ended; its UTC date is the record's day. */
  endedAt: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Which records to sum: a day range (UTC, `YYYY-MM-DD`, both ends included), optionally one session. */
export interface UsageQuery {
  from: string;
  to: string;
  sessionKey?: string;
}

/** Token sums of one (day, agent, provider, model). */
export interface UsageGroup {
  day: string;
  agentId: string;
  provider: string;
  model: string;
  runs: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Where usage records live; the session store's backend provides one. */
export interface UsageLedger {
  /** Stores one run's record; a second record for the same runId is ignored. */
  record(rec: UsageRecord): void;
  /**
   * Stores it off the caller's path: queued, and written with the others queued in one commit
   * within USAGE_FLUSH_MS (and at close). What a kill -9 can lose is that last fraction of a second.
   */
  recordSoon(rec: UsageRecord): void;
  /** Sums per (day, agent, provider, model) in the range, ordered by day: one indexed query. */
  summarize(query: UsageQuery): UsageGroup[];
}

/** The UTC day (`YYYY-MM-DD`) of an epoch-ms time. */
export function usageDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const SUMS = `day, agent_id AS agentId, provider, model, count(*) AS runs, sum(input_tokens) AS input,
  sum(output_tokens) AS output, sum(cache_read_tokens) AS cacheRead, sum(cache_write_tokens) AS cacheWrite`;

/** How long a queued usage record waits for others to share its commit (ms). */
export const USAGE_FLUSH_MS = 100;
/** Queued records past which the queue is written at once. */
const USAGE_QUEUE_MAX = 1_000;

/** The UsageLedger over SQLite. */
export class SqliteUsageLedger implements UsageLedger {
  private readonly insert: SqlStatement;
  private queue: UsageRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly byDay: SqlStatement;
  private readonly bySession: SqlStatement;

  constructor(private readonly db: SqlDb) {
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO usage_records (run_id, session_key, session_id, agent_id, provider, model, day,
         ended_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
       VALUES (@runId, @sessionKey, @sessionId, @agentId, @provider, @model, @day, @endedAt, @input, @output,
         @cacheRead, @cacheWrite)`,
    );
    // Both walk a range of one index (usage_day is covering); the groups are few per day.
    this.byDay = db.prepare(
      `SELECT ${SUMS} FROM usage_records WHERE day BETWEEN ? AND ?
       GROUP BY day, agent_id, provider, model ORDER BY day, agent_id, provider, model`,
    );
    this.bySession = db.prepare(
      `SELECT ${SUMS} FROM usage_records WHERE session_key = ? AND day BETWEEN ? AND ?
       GROUP BY day, agent_id, provider, model ORDER BY day, agent_id, provider, model`,
    );
  }

  record(rec: UsageRecord): void {
    this.insert.run({ ...rec, day: usageDay(rec.endedAt) });
  }

  recordSoon(rec: UsageRecord): void {
    this.queue.push(rec);
    if (this.queue.length >= USAGE_QUEUE_MAX) return this.flush();
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), USAGE_FLUSH_MS);
    this.timer.unref();
  }

  /** Writes the queued records in one commit (the store calls it before it closes). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    if (batch.length === 0 || !this.db.open) return;
    this.queue = [];
    try {
      this.db.transaction(() => {
        for (const rec of batch) this.record(rec);
      })();
    } catch {
      // Runs from a timer, so it must not throw: the batch waits for the next try (bounded).
      this.queue = [...batch, ...this.queue].slice(-USAGE_QUEUE_MAX * 10);
      this.timer = setTimeout(() => this.flush(), USAGE_FLUSH_MS);
      this.timer.unref();
    }
  }

  summarize(query: UsageQuery): UsageGroup[] {
    const rows =
      query.sessionKey === undefined
        ? this.byDay.all(query.from, query.to)
        : this.bySession.all(query.sessionKey, query.from, query.to);
    return rows as UsageGroup[];
  }
}
