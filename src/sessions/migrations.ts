// Versioned schema migrations for the SQLite store: one transaction per version, backup first.
import type { SqlDb } from "./driver.js";

/** One schema step. `up` runs inside a transaction together with the user_version bump. */
export interface Migration {
  version: number;
  name: string;
  up: (db: SqlDb) => void;
}

/** Every schema version in order; append only — a released step is never edited. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "sessions and transcript messages",
    up: (db) =>
      db.exec(`
        CREATE TABLE sessions (
          id INTEGER PRIMARY KEY,
          key TEXT NOT NULL,
          agent_id TEXT NOT NULL,
          session_id TEXT NOT NULL UNIQUE,
          label TEXT,
          display_name TEXT,
          provider_override TEXT,
          model_override TEXT,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          session_started_at INTEGER NOT NULL,
          last_interaction_at INTEGER,
          input_tokens INTEGER NOT NULL DEFAULT 0,
          output_tokens INTEGER NOT NULL DEFAULT 0,
          total_tokens INTEGER NOT NULL DEFAULT 0,
          context_tokens INTEGER,
          message_count INTEGER NOT NULL DEFAULT 0,
          archived_at INTEGER
        );
        -- One live row per key; archived rows keep their key for display.
        CREATE UNIQUE INDEX sessions_live_key ON sessions(key) WHERE archived_at IS NULL;
        -- Listing pages walk these in order instead of sorting the table.
        CREATE INDEX sessions_live_recent ON sessions(updated_at DESC, id DESC) WHERE archived_at IS NULL;
        CREATE INDEX sessions_live_agent_recent
          ON sessions(agent_id, updated_at DESC, id DESC) WHERE archived_at IS NULL;
        CREATE INDEX sessions_archived ON sessions(archived_at) WHERE archived_at IS NOT NULL;
        CREATE TABLE messages (
          session_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          id TEXT NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
          content TEXT NOT NULL,
          timestamp INTEGER NOT NULL,
          run_id TEXT,
          idempotency_key TEXT,
          meta TEXT,
          PRIMARY KEY (session_id, seq)
        ) WITHOUT ROWID;
      `),
  },
  {
    version: 2,
    name: "thinking/verbose levels and message idempotency",
    up: (db) =>
      db.exec(`
        ALTER TABLE sessions ADD COLUMN thinking_level TEXT;
        ALTER TABLE sessions ADD COLUMN verbose_level TEXT;
        CREATE UNIQUE INDEX messages_idempotency
          ON messages(session_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      `),
  },
  {
    version: 3,
    name: "rich message parts",
    // JSON array of content parts (images, tool calls and results, thinking); `content` keeps the
    // plain text, so listing, previews and old readers never parse it.
    up: (db) => db.exec("ALTER TABLE messages ADD COLUMN parts TEXT;"),
  },
  {
    version: 4,
    name: "durable run markers",
    // A row per started run, deleted when it ends: what a crash leaves here is a run to end as
    // interrupted on the next start. last_run_status is how the session's latest run ended.
    up: (db) =>
      db.exec(`
        CREATE TABLE open_runs (
          run_id TEXT PRIMARY KEY,
          session_key TEXT NOT NULL,
          session_id TEXT NOT NULL,
          started_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        ALTER TABLE sessions ADD COLUMN last_run_status TEXT;
      `),
  },
  {
    version: 5,
    name: "model cooldowns",
    // One row per cooled (credential, model), credential or endpoint (models/cooldowns.ts).
    up: (db) =>
      db.exec(`
        CREATE TABLE model_cooldowns (
          key TEXT PRIMARY KEY,
          until INTEGER NOT NULL,
          entry TEXT NOT NULL
        ) WITHOUT ROWID;
      `),
  },
  {
    version: 6,
    name: "archive flag on live sessions; retired rows renamed",
    // Until v5 `archived_at` marked rows a reset or delete left behind (pruned later). That is
    // renamed `retired_at`, and `archived_at` now is what clients mean by archived: a flag on a
    // live session (hidden from the default list, kept, restorable), set by sessions.patch.
    // RENAME COLUMN rewrites the partial indexes' WHERE clauses; the retired index is renamed too.
    up: (db) =>
      db.exec(`
        ALTER TABLE sessions RENAME COLUMN archived_at TO retired_at;
        DROP INDEX sessions_archived;
        CREATE INDEX sessions_retired ON sessions(retired_at) WHERE retired_at IS NOT NULL;
        ALTER TABLE sessions ADD COLUMN archived_at INTEGER;
        ALTER TABLE sessions ADD COLUMN archive_reason TEXT;
        CREATE INDEX sessions_live_archived
          ON sessions(updated_at DESC, id DESC) WHERE retired_at IS NULL AND archived_at IS NOT NULL;
      `),
  },
  {
    version: 7,
    name: "compacted transcript entries",
    // sessions.compact moves the oldest rows of a transcript here, unchanged, so they stay
    // readable (chat.history's archive) while prompts and pages only see what was kept.
    up: (db) =>
      db.exec(`
        CREATE TABLE compacted_messages (
          session_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          id TEXT NOT NULL,
          role TEXT NOT NULL,
          content TEXT NOT NULL,
          parts TEXT,
          timestamp INTEGER NOT NULL,
          run_id TEXT,
          idempotency_key TEXT,
          meta TEXT,
          compacted_at INTEGER NOT NULL,
          PRIMARY KEY (session_id, seq)
        ) WITHOUT ROWID;
        -- A retried request whose message was compacted away must still append only once.
        CREATE INDEX compacted_idempotency
          ON compacted_messages(session_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
        ALTER TABLE sessions ADD COLUMN compacted_count INTEGER NOT NULL DEFAULT 0;
      `),
  },
  {
    version: 8,
    name: "usage records per run",
    // One row per finished run that reported usage; usage.cost sums them by day with one
    // range scan of usage_day (or of usage_session for one session).
    up: (db) =>
      db.exec(`
        CREATE TABLE usage_records (
          run_id TEXT PRIMARY KEY,
          session_key TEXT NOT NULL,
          session_id TEXT NOT NULL,
          agent_id TEXT NOT NULL,
          provider TEXT NOT NULL,
          model TEXT NOT NULL,
          day TEXT NOT NULL,
          ended_at INTEGER NOT NULL,
          input_tokens INTEGER NOT NULL,
          output_tokens INTEGER NOT NULL,
          cache_read_tokens INTEGER NOT NULL,
          cache_write_tokens INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- Covering: the per-day sums read the index alone, never the table.
        CREATE INDEX usage_day ON usage_records(day, agent_id, provider, model, input_tokens,
          output_tokens, cache_read_tokens, cache_write_tokens);
        CREATE INDEX usage_session ON usage_records(session_key, day);
      `),
  },
  {
    version: 9,
    name: "usage rows that stand for several runs",
    // One-off API runs are summed in memory and written as one row per (day, agent, provider,
    // model) per commit: `runs` says how many runs a row stands for (1 for a session's run).
    // usage_day is rebuilt with it so the per-day sums stay on the index alone.
    up: (db) =>
      db.exec(`
        ALTER TABLE usage_records ADD COLUMN runs INTEGER NOT NULL DEFAULT 1;
        DROP INDEX usage_day;
        CREATE INDEX usage_day ON usage_records(day, agent_id, provider, model, runs, input_tokens,
          output_tokens, cache_read_tokens, cache_write_tokens);
      `),
  },
  {
    version: 10,
    name: "index of the usage rows still kept per run",
    // What the maintenance fold looks for: session runs' own rows, oldest day first. Partial, so
    // the summed and one-off rows that pile up a few per day over the years are never walked.
    // UsageLedger.fold repeats this WHERE word for word (SQLite uses a partial index only then).
    up: (db) =>
      db.exec(`
        CREATE INDEX usage_detail ON usage_records(day) WHERE session_key NOT IN ('(one-off)', '(summed)');
      `),
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export interface MigrateOptions {
  /** The database file; when set, an existing database is copied aside before it is migrated. */
  file?: string;
  /** Stop at this version (tests build older databases with it). Defaults to the latest. */
  target?: number;
  now?: number;
  log?: (msg: string) => void;
  /** The steps to apply; {@link MIGRATIONS} unless a test supplies its own. */
  migrations?: readonly Migration[];
}

export interface MigrateResult {
  from: number;
  to: number;
  /** The copy made before migrating, when there was something to copy. */
  backup?: string;
}

/**
 * Brings the database to `target`. Each step runs in its own transaction with its user_version
 * bump, so a crash mid-way leaves the last completed version, never a half-applied one. A
 * database newer than this build is refused (see {@link assertNotNewer}).
 */
export function migrate(db: SqlDb, options: MigrateOptions = {}): MigrateResult {
  const steps = options.migrations ?? MIGRATIONS;
  const from = assertNotNewer(db, steps);
  const target = options.target ?? steps[steps.length - 1]!.version;
  if (from >= target) return { from, to: from };
  const result: MigrateResult = { from, to: target };
  if (options.file && hasTables(db)) {
    result.backup = backup(db, options.file, from, options.now ?? Date.now());
    options.log?.(`session database backed up to ${result.backup}`);
  }
  for (const m of steps) {
    if (m.version <= from || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      // user_version lives in the page-1 header, so this write commits or rolls back with `up`.
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    options.log?.(`session database migrated to v${m.version} (${m.name})`);
  }
  return result;
}

/**
 * The database's schema version; throws for one newer than `steps` know, rather than guess at
 * it. Call before any pragma that writes (journal_mode) so a refused file stays byte-identical.
 */
export function assertNotNewer(db: SqlDb, steps: readonly Migration[] = MIGRATIONS): number {
  const latest = steps[steps.length - 1]?.version ?? 0;
  const version = db.pragma("user_version") as number;
  if (version > latest) {
    throw new Error(
      `session database is at schema v${version}, newer than this Keel (v${latest}); refusing to open it`,
    );
  }
  return version;
}

function hasTables(db: SqlDb): boolean {
  const row = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
    n: number;
  };
  return row.n > 0;
}

/** `<file>.bak-v<N>-<ts>`: a consistent copy (VACUUM INTO reads one snapshot, WAL included). */
function backup(db: SqlDb, file: string, version: number, now: number): string {
  const path = `${file}.bak-v${version}-${now}`;
  db.prepare("VACUUM INTO ?").run(path);
  return path;
}
