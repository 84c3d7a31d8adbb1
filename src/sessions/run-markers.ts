// Durable marks of started runs (schema v4 `open_runs`): what a crash leaves behind is a run to end.
import type { SqlDb, SqlStatement } from "./driver.js";

/** One started run, written before its user message and deleted when the run ends. */
export interface RunMarker {
  runId: string;
  sessionKey: string;
  sessionId: string;
  startedAt: number;
}

/** The store's part of crash recovery; every backend keeps these as durably as its messages. */
export interface RunMarkers {
  /** Marks a run as started (a retried run id is marked again). */
  open(marker: RunMarker): Promise<void>;
  /** Ends a run's mark and records `status` as its session's last run status. */
  close(runId: string, status: string): Promise<void>;
  /** Runs marked and never ended, oldest first: after a crash, the interrupted ones. */
  unfinished(): Promise<RunMarker[]>;
}

interface MarkerRow {
  run_id: string;
  session_key: string;
  session_id: string;
  started_at: number;
}

/** RunMarkers over the SQLite store's database (same WAL and synchronous mode as the transcripts). */
export class SqliteRunMarkers implements RunMarkers {
  private readonly insert: SqlStatement;
  private readonly find: SqlStatement;
  private readonly remove: SqlStatement;
  private readonly setStatus: SqlStatement;
  private readonly all: SqlStatement;

  constructor(private readonly db: SqlDb) {
    this.insert = db.prepare(
      "INSERT OR REPLACE INTO open_runs (run_id, session_key, session_id, started_at) VALUES (?, ?, ?, ?)",
    );
    this.find = db.prepare("SELECT session_id FROM open_runs WHERE run_id = ?");
    this.remove = db.prepare("DELETE FROM open_runs WHERE run_id = ?");
    this.setStatus = db.prepare("UPDATE sessions SET last_run_status = ? WHERE session_id = ?");
    this.all = db.prepare("SELECT * FROM open_runs ORDER BY started_at, run_id");
  }

  async open(m: RunMarker): Promise<void> {
    this.openNow(m);
  }

  async close(runId: string, status: string): Promise<void> {
    this.closeNow(runId, status);
  }

  /** `open`, synchronously (inside another transaction of the store). */
  openNow(m: RunMarker): void {
    this.insert.run(m.runId, m.sessionKey, m.sessionId, m.startedAt);
  }

  /** `close`, synchronously (inside another transaction of the store). */
  closeNow(runId: string, status: string): void {
    this.db
      .transaction(() => {
        const row = this.find.get(runId) as { session_id: string } | undefined;
        if (!row) return;
        this.setStatus.run(status, row.session_id);
        this.remove.run(runId);
      })
      .immediate();
  }

  async unfinished(): Promise<RunMarker[]> {
    return (this.all.all() as MarkerRow[]).map((r) => ({
      runId: r.run_id,
      sessionKey: r.session_key,
      sessionId: r.session_id,
      startedAt: r.started_at,
    }));
  }
}
