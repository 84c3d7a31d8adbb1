import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite, type SqlDb } from "../../src/sessions/driver.js";
import { LATEST_VERSION, MIGRATIONS, migrate } from "../../src/sessions/migrations.js";
import { openSqliteStore, SESSIONS_FILE } from "../../src/sessions/sqlite.js";
import { makeConfig, tempDir } from "./helpers.js";

const disposers: Array<() => void> = [];
afterEach(() => {
  for (const d of disposers.splice(0)) d();
});
function dir(): string {
  const t = tempDir();
  disposers.push(t.dispose);
  return t.dir;
}

/** A database at schema v1 with one session and two messages, written the way v1 code wrote them. */
function buildV1(file: string): void {
  const db = openSqlite(file);
  db.pragma("journal_mode = WAL");
  migrate(db, { target: 1 });
  db.prepare(
    `INSERT INTO sessions (key, agent_id, session_id, label, created_at, updated_at, session_started_at, message_count)
     VALUES ('agent:main:main', 'main', 'old-session', 'Legacy', 1, 2, 1, 2)`,
  ).run();
  const msg = db.prepare(
    "INSERT INTO messages (session_id, seq, id, role, content, timestamp) VALUES ('old-session', ?, ?, ?, ?, ?)",
  );
  msg.run(1, "m1", "user", "hello from v1", 10);
  msg.run(2, "m2", "assistant", "hi", 11);
  db.close();
}

describe("session database migrations", () => {
  it("upgrades a v1 database to the latest, backing it up first", async () => {
    expect(LATEST_VERSION).toBeGreaterThan(1);
    const stateDir = dir();
    const file = join(stateDir, SESSIONS_FILE);
    buildV1(file);
    const logs: string[] = [];
    const store = await openSqliteStore({
      stateDir,
      config: makeConfig(),
      logger: { info: (m) => logs.push(m) },
    });
    try {
      const entry = await store.get("agent:main:main");
      expect(entry).toMatchObject({ sessionId: "old-session", label: "Legacy", messageCount: 2 });
      const page = await store.readHistory("old-session", { limit: 10 });
      expect(page.messages.map((m) => m.content)).toEqual(["hello from v1", "hi"]);
      // v2's columns and idempotency index work on the upgraded data.
      expect((await store.patch("agent:main:main", { thinkingLevel: "high" })).thinkingLevel).toBe("high");
      const input = {
        sessionKey: "agent:main:main",
        sessionId: "old-session",
        role: "user" as const,
        content: "x",
      };
      const a = await store.appendMessage({ ...input, idempotencyKey: "k" });
      expect(a.seq).toBe(3);
      expect((await store.appendMessage({ ...input, idempotencyKey: "k" })).id).toBe(a.id);
    } finally {
      await store.close();
    }
    const backups = readdirSync(stateDir).filter((f) => /^sessions\.sqlite\.bak-v1-\d+$/.test(f));
    expect(backups).toHaveLength(1);
    const copy = openSqlite(join(stateDir, backups[0]!), { readonly: true });
    expect(copy.pragma("user_version")).toBe(1);
    expect(copy.prepare("SELECT count(*) AS n FROM messages").get()).toEqual({ n: 2 });
    copy.close();
    expect(logs.some((l) => l.includes("backed up"))).toBe(true);
    expect(logs.some((l) => l.includes(`migrated to v${LATEST_VERSION}`))).toBe(true);
  });

  it("v6 renames v5's archived_at (rows reset/delete left) to retired_at and adds the archive flag", async () => {
    const stateDir = dir();
    const file = join(stateDir, SESSIONS_FILE);
    const db = openSqlite(file);
    migrate(db, { target: 5 });
    const row = db.prepare(
      `INSERT INTO sessions (key, agent_id, session_id, created_at, updated_at, session_started_at, archived_at)
       VALUES ('agent:main:x', 'main', ?, 1, 2, 1, ?)`,
    );
    row.run("old-transcript", 5);
    row.run("live-one", null);
    db.close();
    const store = await openSqliteStore({ stateDir, config: makeConfig() });
    try {
      const old = await store.getBySessionId("old-transcript");
      expect(old).toMatchObject({ retiredAt: 5 });
      expect(old?.archivedAt).toBeUndefined();
      const live = await store.get("agent:main:x");
      expect(live).toMatchObject({ sessionId: "live-one" });
      expect(live?.archivedAt).toBeUndefined();
      expect((await store.list({ limit: 10 })).rows.map((r) => r.sessionId)).toEqual(["live-one"]);
      expect((await store.list({ limit: 10, retired: true })).rows.map((r) => r.sessionId)).toEqual([
        "old-transcript",
      ]);
    } finally {
      await store.close();
    }
  });

  it("v9 keeps v8's usage rows as one run each, summed from the rebuilt covering index", async () => {
    const stateDir = dir();
    const db = openSqlite(join(stateDir, SESSIONS_FILE));
    migrate(db, { target: 8 });
    const row = db.prepare(
      `INSERT INTO usage_records (run_id, session_key, session_id, agent_id, provider, model, day, ended_at,
         input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
       VALUES (?, 'agent:main:main', 's', 'main', 'p', 'm', '2026-01-01', 1, 10, 5, 0, 0)`,
    );
    row.run("r1");
    row.run("r2");
    db.close();
    const store = await openSqliteStore({ stateDir, config: makeConfig() });
    try {
      expect(store.usage.summarize({ from: "2026-01-01", to: "2026-01-01" })).toEqual([
        {
          day: "2026-01-01",
          agentId: "main",
          provider: "p",
          model: "m",
          runs: 2,
          input: 20,
          output: 10,
          cacheRead: 0,
          cacheWrite: 0,
        },
      ]);
    } finally {
      await store.close();
    }
  });

  it("makes no backup for a new database or one already current", async () => {
    const stateDir = dir();
    await (await openSqliteStore({ stateDir, config: makeConfig() })).close();
    await (await openSqliteStore({ stateDir, config: makeConfig() })).close();
    expect(readdirSync(stateDir).filter((f) => f.includes(".bak-"))).toEqual([]);
  });

  it("a failing step rolls back entirely and leaves the previous version", () => {
    const file = join(dir(), "t.sqlite");
    const db = openSqlite(file);
    const broken = [
      MIGRATIONS[0]!,
      {
        version: 2,
        name: "broken",
        up: (d: SqlDb) => {
          d.exec("CREATE TABLE half_done (x)");
          d.exec("ALTER TABLE no_such_table ADD COLUMN y");
        },
      },
    ];
    expect(() => migrate(db, { file, migrations: broken })).toThrow(/no_such_table/);
    expect(db.pragma("user_version")).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
    db.close();
  });

  it("refuses a database from a newer Keel and leaves it untouched", async () => {
    const stateDir = dir();
    const file = join(stateDir, SESSIONS_FILE);
    const db = openSqlite(file);
    db.pragma(`user_version = ${LATEST_VERSION + 5}`);
    db.close();
    const before = readFileSync(file);
    await expect(openSqliteStore({ stateDir, config: makeConfig() })).rejects.toThrow(/newer than this Keel/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(`${file}.bak-v${LATEST_VERSION + 5}`)).toBe(false);
  });
});
