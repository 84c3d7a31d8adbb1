// The SQLite driver seam: the session store talks to `SqlDb`, backed by the built-in `node:sqlite`
// on Node >= 24 and by better-sqlite3 on Node 20/22.
//
// Why: better-sqlite3 12.x aborts the process on Node 24 (`Assertion failed: (env) != nullptr` in
// node::RemoveEnvironmentCleanupHook, from Statement::~Statement / Database::~Database during GC
// or teardown) because Node 24 changed node::ObjectWrap. better-sqlite3 13 fixes that but requires
// Node >= 22, and Keel supports Node 20. Node 24 ships `node:sqlite` (DatabaseSync, not
// experimental-warned on 24.x): the same SQLite engine, WAL and pragmas. Each driver is loaded
// lazily through createRequire, so Node 20 never touches `node:sqlite` and Node 24 never loads the
// better-sqlite3 addon. Both are invisible to esbuild (better-sqlite3 is external; a call through
// a createRequire'd function is not analysed), so the bundle loads them at run time.
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

/** One prepared statement. Parameters: positional values, or one object for `@name` parameters. */
export interface SqlStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  /** The first row, or undefined when there is none. */
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** A function wrapped in a transaction, with better-sqlite3's BEGIN-mode variants. */
export interface SqlTransaction<A extends unknown[], R> {
  (...args: A): R;
  deferred(...args: A): R;
  immediate(...args: A): R;
  exclusive(...args: A): R;
}

/** What the session store needs from a SQLite connection. */
export interface SqlDb {
  prepare(sql: string): SqlStatement;
  exec(sql: string): void;
  /** Runs `PRAGMA <text>` and returns the first column of the first row (undefined if no row). */
  pragma(text: string): unknown;
  /**
   * `fn` inside BEGIN … COMMIT (ROLLBACK when it throws); inside a SAVEPOINT when a transaction
   * is already open, as better-sqlite3's `db.transaction` does.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqlTransaction<A, R>;
  close(): void;
  readonly open: boolean;
}

export interface SqlOpenOptions {
  readonly?: boolean;
}

export type SqliteDriverName = "node:sqlite" | "better-sqlite3";

/** The driver this process uses: `node:sqlite` on Node >= 24, better-sqlite3 before. */
export function sqliteDriverName(): SqliteDriverName {
  const major = Number(process.versions.node.split(".")[0]);
  return major >= 24 ? "node:sqlite" : "better-sqlite3";
}

/** better-sqlite3's default busy timeout; node:sqlite's is 0, so it is set to match. */
const BUSY_TIMEOUT_MS = 5_000;

const requireCjs = createRequire(import.meta.url);

/** Opens (creating unless `readonly`) the database file with the driver for this Node. */
export function openSqlite(file: string, options: SqlOpenOptions = {}): SqlDb {
  const readonly = options.readonly ?? false;
  return sqliteDriverName() === "node:sqlite"
    ? new NodeSqliteDb(file, readonly)
    : new BetterSqliteDb(file, readonly);
}

// --- better-sqlite3 (Node 20/22) -------------------------------------------------------------

class BetterSqliteDb implements SqlDb {
  private readonly db: BetterSqlite3.Database;

  constructor(file: string, readonly: boolean) {
    const Database = requireCjs("better-sqlite3") as typeof BetterSqlite3;
    this.db = new Database(file, { readonly });
  }

  prepare(sql: string): SqlStatement {
    return this.db.prepare(sql) as SqlStatement;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  pragma(text: string): unknown {
    return this.db.pragma(text, { simple: true });
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqlTransaction<A, R> {
    return this.db.transaction(fn) as unknown as SqlTransaction<A, R>;
  }

  close(): void {
    this.db.close();
  }

  get open(): boolean {
    return this.db.open;
  }
}

// --- node:sqlite (Node >= 24) ----------------------------------------------------------------
// Typed here: @types/node 20 has no `node:sqlite` declarations.

interface NodeStatementSync extends SqlStatement {
  setAllowUnknownNamedParameters(enabled: boolean): void;
}

interface NodeDatabaseSync {
  prepare(sql: string): NodeStatementSync;
  exec(sql: string): void;
  close(): void;
  readonly isOpen: boolean;
  readonly isTransaction: boolean;
}

interface NodeSqliteModule {
  DatabaseSync: new (file: string, options: { readOnly?: boolean; timeout?: number }) => NodeDatabaseSync;
}

const SAVEPOINT = `"\t_keel_tx"`;

class NodeSqliteDb implements SqlDb {
  private readonly db: NodeDatabaseSync;
  private control?: Record<
    "deferred" | "immediate" | "exclusive" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo",
    SqlStatement
  >;

  constructor(file: string, readonly: boolean) {
    const { DatabaseSync } = requireCjs("node:sqlite") as NodeSqliteModule;
    this.db = new DatabaseSync(file, { readOnly: readonly, timeout: BUSY_TIMEOUT_MS });
  }

  prepare(sql: string): SqlStatement {
    const st = this.db.prepare(sql);
    // better-sqlite3 ignores object keys the SQL does not name; node:sqlite throws by default.
    st.setAllowUnknownNamedParameters(true);
    return st;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  pragma(text: string): unknown {
    const row = this.db.prepare(`PRAGMA ${text}`).get() as Record<string, unknown> | undefined;
    return row === undefined ? undefined : Object.values(row)[0];
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqlTransaction<A, R> {
    const wrap =
      (mode: "deferred" | "immediate" | "exclusive") =>
      (...args: A): R =>
        this.runInTransaction(mode, fn, args);
    return Object.assign(wrap("deferred"), {
      deferred: wrap("deferred"),
      immediate: wrap("immediate"),
      exclusive: wrap("exclusive"),
    });
  }

  close(): void {
    this.db.close();
  }

  get open(): boolean {
    return this.db.isOpen;
  }

  /** better-sqlite3's lib/methods/transaction.js, over node:sqlite. */
  private runInTransaction<A extends unknown[], R>(
    mode: "deferred" | "immediate" | "exclusive",
    fn: (...args: A) => R,
    args: A,
  ): R {
    const c = (this.control ??= {
      deferred: this.db.prepare("BEGIN DEFERRED"),
      immediate: this.db.prepare("BEGIN IMMEDIATE"),
      exclusive: this.db.prepare("BEGIN EXCLUSIVE"),
      commit: this.db.prepare("COMMIT"),
      rollback: this.db.prepare("ROLLBACK"),
      savepoint: this.db.prepare(`SAVEPOINT ${SAVEPOINT}`),
      release: this.db.prepare(`RELEASE ${SAVEPOINT}`),
      rollbackTo: this.db.prepare(`ROLLBACK TO ${SAVEPOINT}`),
    });
    const nested = this.db.isTransaction;
    const [begin, end, undo] = nested
      ? [c.savepoint, c.release, c.rollbackTo]
      : [c[mode], c.commit, c.rollback];
    begin.run();
    try {
      const result = fn(...args);
      if (isThenable(result)) throw new TypeError("Transaction function cannot return a promise");
      end.run();
      return result;
    } catch (err) {
      if (this.db.isTransaction) {
        undo.run();
        if (nested) end.run();
      }
      throw err;
    }
  }
}

function isThenable(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function"
  );
}
