// Durable token usage (schema v8/v9 `usage_records`): a session run's row at its end, one-off runs
// summed into one row per (day, agent, provider, model); usage.cost sums them per day. Session
// rows past their detail days are folded the same way, so the table grows with days, not runs.
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
   * Adds a one-off run's usage (a stateless API request's) off the caller's path: summed in
   * memory with the others of its (day, agent, provider, model) and added to that group's one
   * row in one commit within USAGE_FLUSH_MS (and at close). A kill -9 can lose that last
   * fraction of a second. The row's session is ONE_OFF_SESSION: a one-off run has no session
   * to be found by again, and a row per run would make every request a random-key insert into
   * three B-trees (growing slower as the table grows).
   */
  recordOneOff(rec: UsageRecord): void;
  /**
   * Folds session runs' rows of days before `beforeDay` (`YYYY-MM-DD`) into one SUMMED_SESSION
   * row per (day, agent, provider, model), at most `limit` rows per call, in one commit. The
   * per-day totals stay exact; the per-session figures of those days go. Returns the rows folded.
   */
  fold(beforeDay: string, limit: number): number;
  /** Sums per (day, agent, provider, model) in the range, ordered by day: one indexed query. */
  summarize(query: UsageQuery): UsageGroup[];
}

/** The session key one-off runs' summed rows carry. */
export const ONE_OFF_SESSION = "(one-off)";
/** The session key of session runs' rows once folded (see UsageLedger.fold). */
export const SUMMED_SESSION = "(summed)";

/** The one row of a group's one-off sums, named by the group: `one-off:["day","agent","provider","model"]`. */
const oneOffRowId = (day: string, g: { agentId: string; provider: string; model: string }) =>
  `one-off:${JSON.stringify([day, g.agentId, g.provider, g.model])}`;

/** The UTC day (`YYYY-MM-DD`) of an epoch-ms time. */
export function usageDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export const DAY_MS = 86_400_000;

/** The columns every write of a usage row names, in the order of its values. */
const COLUMNS = `(run_id, session_key, session_id, agent_id, provider, model, day, ended_at, runs,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)`;

const SUMS = `day, agent_id AS agentId, provider, model, sum(runs) AS runs, sum(input_tokens) AS input,
  sum(output_tokens) AS output, sum(cache_read_tokens) AS cacheRead, sum(cache_write_tokens) AS cacheWrite`;

/**
 * The session runs' own rows of days before `?`, at most `?` of them: the WHERE of the partial
 * index usage_detail (schema v10) word for word, so SQLite walks that index (INDEXED BY makes
 * preparing the statement fail otherwise).
 */
export const FOLDABLE_SQL = `SELECT run_id FROM usage_records INDEXED BY usage_detail
  WHERE session_key NOT IN ('${ONE_OFF_SESSION}', '${SUMMED_SESSION}') AND day < ? LIMIT ?`;

/** An upsert's SET: the new row's runs and tokens added to the group row's. */
const ADD_EXCLUDED = `runs = runs + excluded.runs, ended_at = max(ended_at, excluded.ended_at),
  input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
  cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
  cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens`;

/** How long a one-off run's usage waits for others to share its commit (ms). */
export const USAGE_FLUSH_MS = 100;
/** Groups past which the sums are written at once. */
const USAGE_GROUPS_MAX = 1_000;

/** One (day, agent, provider, model) group of one-off runs not yet written. */
type OneOffSum = Omit<UsageRecord, "runId" | "sessionKey" | "sessionId"> & { day: string; runs: number };

/** Adds `runs` runs' tokens (a record's, or another sum's) into `sum`. */
function addSums(
  sum: OneOffSum,
  add: Omit<OneOffSum, "runs" | "day" | "agentId" | "provider" | "model">,
  runs: number,
): void {
  sum.runs += runs;
  sum.endedAt = Math.max(sum.endedAt, add.endedAt);
  sum.input += add.input;
  sum.output += add.output;
  sum.cacheRead += add.cacheRead;
  sum.cacheWrite += add.cacheWrite;
}

/** The UsageLedger over SQLite. */
export class SqliteUsageLedger implements UsageLedger {
  private readonly insert: SqlStatement;
  private readonly addToGroup: SqlStatement;
  private readonly foldable: SqlStatement;
  private readonly foldInto: SqlStatement;
  private readonly deleteRows: SqlStatement;
  private pending = new Map<string, OneOffSum>();
  private timer: NodeJS.Timeout | undefined;
  private readonly byDay: SqlStatement;
  private readonly bySession: SqlStatement;
  /** The day last formatted, and where it starts: nearly every record is from today. */
  private today = { start: Number.NaN, text: "" };

  constructor(private readonly db: SqlDb) {
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO usage_records ${COLUMNS}
       VALUES (@runId, @sessionKey, @sessionId, @agentId, @provider, @model, @day, @endedAt, @runs, @input,
         @output, @cacheRead, @cacheWrite)`,
    );
    this.addToGroup = db.prepare(
      `INSERT INTO usage_records ${COLUMNS}
       VALUES (@runId, @sessionKey, '', @agentId, @provider, @model, @day, @endedAt, @runs, @input,
         @output, @cacheRead, @cacheWrite)
       ON CONFLICT (run_id) DO UPDATE SET ${ADD_EXCLUDED}`,
    );
    this.foldable = db.prepare(FOLDABLE_SQL);
    // The chosen rows' sums go to their groups' summed rows, then the rows go.
    this.foldInto = db.prepare(
      `INSERT INTO usage_records ${COLUMNS}
       SELECT 'summed:' || json_array(day, agent_id, provider, model), '${SUMMED_SESSION}', '',
         agent_id, provider, model, day, max(ended_at), sum(runs), sum(input_tokens), sum(output_tokens),
         sum(cache_read_tokens), sum(cache_write_tokens)
       FROM usage_records WHERE run_id IN (SELECT value FROM json_each(?))
       GROUP BY day, agent_id, provider, model
       ON CONFLICT (run_id) DO UPDATE SET ${ADD_EXCLUDED}`,
    );
    this.deleteRows = db.prepare(
      `DELETE FROM usage_records WHERE run_id IN (SELECT value FROM json_each(?))`,
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
    this.insert.run({ ...rec, day: this.day(rec.endedAt), runs: 1 });
  }

  recordOneOff(rec: UsageRecord): void {
    const day = this.day(rec.endedAt);
    // A cheap key per request; the group's row id is made once per group and commit.
    const key = `${day}\u0000${rec.agentId}\u0000${rec.provider}\u0000${rec.model}`;
    const sum = this.pending.get(key);
    if (sum === undefined) {
      const { agentId, provider, model, endedAt, input, output, cacheRead, cacheWrite } = rec;
      this.pending.set(key, {
        day,
        agentId,
        provider,
        model,
        endedAt,
        input,
        output,
        cacheRead,
        cacheWrite,
        runs: 1,
      });
    } else addSums(sum, rec, 1);
    if (this.pending.size >= USAGE_GROUPS_MAX) return this.flush();
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), USAGE_FLUSH_MS);
    this.timer.unref();
  }

  /** Writes the pending sums in one commit (the store calls it before it closes). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const sums = this.pending;
    if (sums.size === 0 || !this.db.open) return;
    this.pending = new Map();
    try {
      this.db.transaction(() => {
        for (const sum of sums.values()) {
          this.addToGroup.run({ ...sum, runId: oneOffRowId(sum.day, sum), sessionKey: ONE_OFF_SESSION });
        }
      })();
    } catch {
      // Runs from a timer, so it must not throw: the sums wait for the next try (folded back in).
      for (const [key, sum] of sums) {
        const now = this.pending.get(key);
        if (now === undefined) this.pending.set(key, sum);
        else addSums(now, sum, sum.runs);
      }
      this.timer = setTimeout(() => this.flush(), USAGE_FLUSH_MS);
      this.timer.unref();
    }
  }

  fold(beforeDay: string, limit: number): number {
    if (!this.db.open) return 0;
    return this.db.transaction(() => {
      const ids = (this.foldable.all(beforeDay, limit) as { run_id: string }[]).map((r) => r.run_id);
      if (ids.length === 0) return 0;
      const list = JSON.stringify(ids);
      this.foldInto.run(list);
      this.deleteRows.run(list);
      return ids.length;
    })();
  }

  private day(ms: number): string {
    const start = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
    if (start !== this.today.start) this.today = { start, text: usageDay(start) };
    return this.today.text;
  }

  summarize(query: UsageQuery): UsageGroup[] {
    const rows =
      query.sessionKey === undefined
        ? this.byDay.all(query.from, query.to)
        : this.bySession.all(query.sessionKey, query.from, query.to);
    return rows as UsageGroup[];
  }
}
