// The default SessionStore: one SQLite database (WAL) in the state dir, through ./driver.js.
import { randomUUID } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { invalidRequest } from "../protocol/errors.js";
import { SqliteCooldownStore } from "./cooldown-store.js";
import { openSqlite, type SqlDb, type SqlStatement, sqliteDriverName } from "./driver.js";
import { assertNotNewer, migrate } from "./migrations.js";
import { type RunMarker, SqliteRunMarkers } from "./run-markers.js";
import { compactStatements, compactTranscript } from "./sqlite-compact.js";
import { pruneSessions } from "./sqlite-prune.js";
import {
  listWhere,
  type MessageRow,
  SESSION_COLUMNS,
  type SessionRow,
  toEntry,
  toMessage,
} from "./sqlite-rows.js";
import { fromMessageRow, NO_FIELDS, PATCH_FIELDS, prepareStatements } from "./sqlite-statements.js";
import type {
  AppendInput,
  CompactResult,
  HistoryPage,
  HistoryQuery,
  ListPage,
  ListQuery,
  PruneOptions,
  PruneResult,
  SessionGuard,
  RunEnd,
  SessionPatch,
  SessionStore,
  SessionView,
  TranscriptMessage,
} from "./store.js";
import { sessionIdMismatch, sessionNotFound } from "./store.js";
import { SqliteUsageLedger } from "./usage-store.js";

/** The database file: one for every agent, so listing across agents is one indexed query. */
export const SESSIONS_FILE = "sessions.sqlite";

/**
 * How long a write waits for another connection's lock (ms). Only one gateway owns the state dir,
 * but CLI tools (`sqlite3`, backups) may hold a read lock briefly.
 */
const BUSY_TIMEOUT_MS = 5_000;

export interface OpenSqliteOptions {
  stateDir: string;
  config: Config;
  logger?: { info: (msg: string) => void };
}

/**
 * Opens `<stateDir>/sessions.sqlite`, migrates it (backup first) and returns the store. The
 * gateway runs this as its "sessions" startup step.
 */
export async function openSqliteStore(options: OpenSqliteOptions): Promise<SqliteSessionStore> {
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const file = join(options.stateDir, SESSIONS_FILE);
  // Transcripts are private chat: create the file 0600 before SQLite does (its -wal/-shm copy the mode).
  closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
  const db = openSqlite(file);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    assertNotNewer(db);
    db.pragma("journal_mode = WAL");
    // NORMAL: a commit is in the WAL before we return, so kill -9 loses nothing; FULL also fsyncs.
    db.pragma(`synchronous = ${options.config.session.synchronous}`);
    migrate(db, { file, log: (m) => options.logger?.info(m) });
    options.logger?.info(`session database ${file} opened with ${sqliteDriverName()}`);
    return new SqliteSessionStore(db, file);
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The SQLite drivers are synchronous; the async methods resolve after the statement has committed. */
export class SqliteSessionStore implements SessionStore {
  readonly stats = { transcriptRowsRead: 0 };
  private readonly listeners = new Set<(entry: SessionView) => void>();
  private readonly listStatements = new Map<string, SqlStatement>();
  private readonly s: ReturnType<typeof prepareStatements>;
  readonly runMarkers: SqliteRunMarkers;
  readonly cooldowns: SqliteCooldownStore;
  readonly usage: SqliteUsageLedger;
  private readonly compaction: ReturnType<typeof compactStatements>;

  constructor(
    private readonly db: SqlDb,
    readonly path: string,
  ) {
    this.s = prepareStatements(db);
    this.runMarkers = new SqliteRunMarkers(db);
    this.cooldowns = new SqliteCooldownStore(db);
    this.usage = new SqliteUsageLedger(db);
    this.compaction = compactStatements(db);
  }

  async ensure(agentId: string, key: string): Promise<{ entry: SessionView; created: boolean }> {
    const result = this.db
      .transaction(() => {
        const row = this.s.live.get(key) as SessionRow | undefined;
        if (row) return { entry: toEntry(row), created: false };
        const now = Date.now();
        this.s.insert.run({ ...NO_FIELDS, key, agentId, sessionId: randomUUID(), createdAt: now, now });
        return { entry: toEntry(this.s.live.get(key) as SessionRow), created: true };
      })
      .immediate();
    if (result.created) this.emitCreated(result.entry);
    return result;
  }

  async get(key: string): Promise<SessionView | undefined> {
    const row = this.s.live.get(key) as SessionRow | undefined;
    return row && toEntry(row);
  }

  async getBySessionId(sessionId: string): Promise<SessionView | undefined> {
    const row = this.s.bySessionId.get(sessionId) as SessionRow | undefined;
    return row && toEntry(row);
  }

  async patch(key: string, patch: SessionPatch, guard: SessionGuard = {}): Promise<SessionView> {
    const params: Record<string, unknown> = {
      key,
      now: Date.now(),
      expected: guard.expectedSessionId ?? null,
    };
    for (const [field] of PATCH_FIELDS) {
      const value = patch[field];
      params[`has_${field}`] = value === undefined ? 0 : 1;
      params[field] = value ?? null;
    }
    params["has_archived"] = patch.archived === undefined ? 0 : 1;
    params["archivedAt"] = patch.archived ? params["now"] : null;
    params["archiveReason"] = patch.archived ? "manual" : null;
    if (this.s.patch.run(params).changes === 0) {
      const live = this.s.live.get(key) as SessionRow | undefined;
      if (live && guard.expectedSessionId !== undefined) {
        throw sessionIdMismatch(key, guard.expectedSessionId, live.session_id);
      }
      throw sessionNotFound(key);
    }
    return toEntry(this.s.live.get(key) as SessionRow);
  }

  async reset(key: string): Promise<SessionView> {
    return this.db
      .transaction(() => {
        const old = this.s.live.get(key) as SessionRow | undefined;
        if (!old) throw sessionNotFound(key);
        const now = Date.now();
        // The old row is retired, not deleted: its transcript stays readable until pruned.
        this.s.retire.run(now, key, null, null);
        this.s.insert.run({
          key,
          agentId: old.agent_id,
          sessionId: randomUUID(),
          label: old.label,
          displayName: old.display_name,
          providerOverride: old.provider_override,
          modelOverride: old.model_override,
          thinkingLevel: old.thinking_level,
          verboseLevel: old.verbose_level,
          createdAt: old.created_at,
          now,
        });
        return toEntry(this.s.live.get(key) as SessionRow);
      })
      .immediate();
  }

  async retire(key: string, guard: SessionGuard = {}): Promise<SessionView | undefined> {
    const row = this.s.live.get(key) as SessionRow | undefined;
    if (!row) return undefined;
    const expected = guard.expectedSessionId ?? null;
    if (this.s.retire.run(Date.now(), key, expected, expected).changes === 0) return undefined;
    return this.getBySessionId(row.session_id);
  }

  async purge(sessionId: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.s.purgeSession.run(sessionId).changes === 0) return false;
        this.s.purgeMessages.run(sessionId);
        this.s.purgeCompacted.run(sessionId);
        return true;
      })
      .immediate();
  }

  async list(query: ListQuery): Promise<ListPage> {
    const where = listWhere({ ...query, excludeKeys: this.excludedPresent(query) });
    const offset = Math.max(0, query.offset ?? 0);
    const rows = this.listStatement(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${where.sql}
       ORDER BY updated_at DESC, id DESC LIMIT @limit OFFSET @offset`,
    ).all({ ...where.params, limit: query.limit, offset }) as SessionRow[];
    const { n } = this.listStatement(`SELECT count(*) AS n FROM sessions WHERE ${where.sql}`).get(
      where.params,
    ) as { n: number };
    const end = offset + rows.length;
    return { rows: rows.map(toEntry), total: n, hasMore: end < n, nextOffset: end < n ? end : null };
  }

  async appendMessage(input: AppendInput): Promise<Readonly<TranscriptMessage>> {
    return this.appendNow(input);
  }

  async beginRun(marker: RunMarker, message: AppendInput): Promise<Readonly<TranscriptMessage>> {
    return this.db
      .transaction(() => {
        this.runMarkers.openNow(marker);
        return this.appendNow(message);
      })
      .immediate();
  }

  async endRun(end: RunEnd): Promise<Readonly<TranscriptMessage> | undefined> {
    return this.db
      .transaction(() => {
        const reply = end.message ? this.appendNow(end.message) : undefined;
        if (end.usage) this.usageNow(end.usage.key, end.usage);
        if (end.record) this.usage.record(end.record);
        this.runMarkers.closeNow(end.runId, end.status);
        return reply;
      })
      .immediate();
  }

  /** appendMessage, synchronously: its own transaction, or a savepoint inside a caller's. */
  private appendNow(input: AppendInput): Readonly<TranscriptMessage> {
    return this.db
      .transaction(() => {
        const session = this.s.bySessionId.get(input.sessionId) as SessionRow | undefined;
        if (!session || session.key !== input.sessionKey) {
          throw invalidRequest(`unknown session ${input.sessionId} for key ${input.sessionKey}`);
        }
        if (input.idempotencyKey !== undefined) {
          const dup = (this.s.byIdempotency.get(input.sessionId, input.idempotencyKey) ??
            this.s.compactedByIdempotency.get(input.sessionId, input.idempotencyKey)) as
            MessageRow | undefined;
          if (dup) return this.readRows([dup])[0]!;
        }
        const now = Date.now();
        const row: MessageRow = {
          session_id: input.sessionId,
          seq: session.message_count + 1,
          id: randomUUID(),
          role: input.role,
          content: input.content,
          parts: input.parts === undefined || input.parts.length === 0 ? null : JSON.stringify(input.parts),
          timestamp: input.timestamp ?? now,
          run_id: input.runId ?? null,
          idempotency_key: input.idempotencyKey ?? null,
          meta: input.meta === undefined ? null : JSON.stringify(input.meta),
        };
        this.s.insertMessage.run({ ...fromMessageRow(row) });
        this.s.touchAfterAppend.run({
          seq: row.seq,
          now,
          isUser: input.role === "user" ? 1 : 0,
          timestamp: row.timestamp,
          sessionId: input.sessionId,
        });
        return toMessage(row);
      })
      .immediate();
  }

  async readHistory(sessionId: string, query: HistoryQuery): Promise<HistoryPage> {
    const row = this.s.bySessionId.get(sessionId) as SessionRow | undefined;
    // Seqs 1..compacted_count moved to the archive; the transcript is the range after them.
    const base = row?.compacted_count ?? 0;
    return this.page(this.s.history, sessionId, base, row?.message_count ?? 0, query);
  }

  async readCompacted(sessionId: string, query: HistoryQuery): Promise<HistoryPage> {
    const row = this.s.bySessionId.get(sessionId) as SessionRow | undefined;
    return this.page(this.s.compactedHistory, sessionId, 0, row?.compacted_count ?? 0, query);
  }

  async compact(key: string, maxLines: number): Promise<CompactResult> {
    const row = this.s.live.get(key) as SessionRow | undefined;
    if (!row) throw sessionNotFound(key);
    return compactTranscript(this.compaction, row.session_id, maxLines);
  }

  async countMessages(sessionId: string): Promise<number> {
    const row = this.s.bySessionId.get(sessionId) as SessionRow | undefined;
    return row ? row.message_count - row.compacted_count : 0;
  }

  async addUsage(
    key: string,
    usage: { input: number; output: number; total?: number; context?: number },
  ): Promise<void> {
    this.usageNow(key, usage);
  }

  private usageNow(
    key: string,
    usage: { input: number; output: number; total?: number; context?: number },
  ): void {
    this.s.usage.run({
      key,
      input: usage.input,
      output: usage.output,
      total: usage.total ?? usage.input + usage.output,
      context: usage.context ?? null,
      now: Date.now(),
    });
  }

  async prune(options: PruneOptions): Promise<PruneResult> {
    return pruneSessions(this.db, options);
  }

  onSessionCreated(listener: (entry: SessionView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.listeners.clear();
    this.usage.flush();
    this.db.pragma("optimize");
    this.db.close();
  }

  /**
   * A page from the end of the contiguous seq range (base, last]: offset 0 is the newest
   * `limit`, so a page is a seq range read by primary key, never an OFFSET scan.
   */
  private page(st: SqlStatement, sessionId: string, base: number, last: number, query: HistoryQuery) {
    const total = last - base;
    const offset = Math.max(0, query.offset ?? 0);
    const hi = last - offset;
    if (hi <= base) return { messages: [], hasMore: false, nextOffset: null, total };
    const lo = Math.max(base + 1, hi - Math.max(1, query.limit) + 1);
    const rows = st.all(sessionId, lo, hi) as MessageRow[];
    const hasMore = lo > base + 1;
    return {
      messages: this.readRows(rows),
      hasMore,
      nextOffset: hasMore ? offset + rows.length : null,
      total,
    };
  }

  /** Every read of transcript rows goes through here, so the counter cannot miss one. */
  private readRows(rows: MessageRow[]): TranscriptMessage[] {
    this.stats.transcriptRowsRead += rows.length;
    return rows.map(toMessage);
  }

  /**
   * The excluded keys that actually have a live row. Usually none (`global`, `unknown`), and
   * then the filter is dropped: a NOT IN on every row costs a table lookup per row skipped by
   * OFFSET, which tripled the cost of deep pages over 50,000 sessions.
   */
  private excludedPresent(query: ListQuery): readonly string[] | undefined {
    const keys = query.excludeKeys;
    if (keys === undefined || keys.length === 0 || query.retired) return keys;
    const rows = this.s.liveKeysIn.all(JSON.stringify(keys)) as { key: string }[];
    return rows.map((r) => r.key);
  }

  /** One prepared statement per filter combination (at most 2 × 3 × 2^6 texts, so the map is bounded). */
  private listStatement(sql: string): SqlStatement {
    let st = this.listStatements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.listStatements.set(sql, st);
    }
    return st;
  }

  private emitCreated(entry: SessionView): void {
    for (const l of this.listeners) {
      // A listener's failure (maintenance) must never fail the write that already committed.
      try {
        l(entry);
      } catch {
        // ignored on purpose (see above)
      }
    }
  }
}
