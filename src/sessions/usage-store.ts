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
  /** Sums per (day, agent, provider, model) in the range, ordered by day: one indexed query. */
  summarize(query: UsageQuery): UsageGroup[];
}

/** The UTC day (`YYYY-MM-DD`) of an epoch-ms time. */
export function usageDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const SUMS = `day, agent_id AS agentId, provider, model, count(*) AS runs, sum(input_tokens) AS input,
  sum(output_tokens) AS output, sum(cache_read_tokens) AS cacheRead, sum(cache_write_tokens) AS cacheWrite`;

/** The UsageLedger over SQLite. */
export class SqliteUsageLedger implements UsageLedger {
  private readonly insert: SqlStatement;
  private readonly byDay: SqlStatement;
  private readonly bySession: SqlStatement;

  constructor(db: SqlDb) {
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

  summarize(query: UsageQuery): UsageGroup[] {
    const rows =
      query.sessionKey === undefined
        ? this.byDay.all(query.from, query.to)
        : this.bySession.all(query.sessionKey, query.from, query.to);
    return rows as UsageGroup[];
  }
}
