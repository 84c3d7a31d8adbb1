import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSqlite, type SqlDb } from "../../src/sessions/driver.js";
import { LATEST_VERSION } from "../../src/sessions/migrations.js";
import { openSqliteStore, SESSIONS_FILE } from "../../src/sessions/sqlite.js";
import { FOLDABLE_SQL, ONE_OFF_SESSION, SUMMED_SESSION } from "../../src/sessions/usage-store.js";
import { sessionStoreContract } from "./contract.js";
import { eventually } from "../helpers/eventually.js";
import { makeConfig, tempDir, tempSqliteStore } from "./helpers.js";

sessionStoreContract("sqlite", () => tempSqliteStore());

describe("SQLite store specifics", () => {
  it("lives in <stateDir>/sessions.sqlite, mode 0600, WAL, at the latest schema", async () => {
    const { store, dir, dispose } = await tempSqliteStore();
    try {
      const file = join(dir, SESSIONS_FILE);
      expect(store.path).toBe(file);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const db = openSqlite(file, { readonly: true });
      expect(db.pragma("journal_mode")).toBe("wal");
      expect(db.pragma("user_version")).toBe(LATEST_VERSION);
      db.close();
    } finally {
      await dispose();
    }
  });

  it("applies session.synchronous", async () => {
    const t = tempDir();
    const store = await openSqliteStore({
      stateDir: t.dir,
      config: makeConfig({ session: { synchronous: "FULL" } }),
    });
    // synchronous is per connection, so it can only be read through the store's own handle.
    const db = (store as unknown as { db: SqlDb }).db;
    expect(db.pragma("synchronous")).toBe(2); // FULL
    await store.close();
    t.dispose();
  });

  it("data survives close and reopen", async () => {
    const t = tempDir();
    const config = makeConfig();
    const a = await openSqliteStore({ stateDir: t.dir, config });
    const { entry } = await a.ensure("main", "agent:main:main");
    await a.appendMessage({
      sessionKey: entry.key,
      sessionId: entry.sessionId,
      role: "user",
      content: "kept",
    });
    await a.close();
    const b = await openSqliteStore({ stateDir: t.dir, config });
    expect((await b.get(entry.key))?.sessionId).toBe(entry.sessionId);
    expect((await b.readHistory(entry.sessionId, { limit: 5 })).messages[0]?.content).toBe("kept");
    await b.close();
    t.dispose();
  });

  it("listing uses the partial indexes instead of sorting the table", async () => {
    const { store, dir, dispose } = await tempSqliteStore();
    try {
      const db = openSqlite(join(dir, SESSIONS_FILE), { readonly: true });
      const plan = (sql: string) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
          .map((r) => r.detail)
          .join("\n");
      const all = plan(
        "SELECT * FROM sessions WHERE retired_at IS NULL AND archived_at IS NULL ORDER BY updated_at DESC, id DESC LIMIT 10 OFFSET 0",
      );
      expect(all).toContain("sessions_live_recent");
      expect(all).not.toContain("TEMP B-TREE");
      const agent = plan(
        "SELECT * FROM sessions WHERE retired_at IS NULL AND archived_at IS NULL AND agent_id = 'x' ORDER BY updated_at DESC, id DESC LIMIT 10",
      );
      expect(agent).toContain("sessions_live_agent_recent");
      expect(agent).not.toContain("TEMP B-TREE");
      db.close();
      expect(store.stats.transcriptRowsRead).toBe(0);
    } finally {
      await dispose();
    }
  });

  it("one-off runs' usage is summed per group and written soon after, and at close at the latest", async () => {
    const t = tempDir();
    const config = makeConfig();
    const rec = {
      sessionKey: "agent:main:openai:x",
      sessionId: "s",
      agentId: "main",
      provider: "p",
      model: "m",
    };
    const tokens = { input: 10, output: 5, cacheRead: 1, cacheWrite: 0 };
    const endedAt = Date.parse("2026-01-01T10:00:00Z");
    const day = { from: "2026-01-01", to: "2026-01-01" };
    const a = await openSqliteStore({ stateDir: t.dir, config });
    a.usage.recordOneOff({ ...rec, ...tokens, runId: "q1", endedAt });
    a.usage.recordOneOff({ ...rec, ...tokens, runId: "q2", endedAt });
    a.usage.recordOneOff({ ...rec, ...tokens, model: "other", runId: "q3", endedAt });
    // Pending, not yet written: the caller did not wait for a commit.
    expect(a.usage.summarize(day)).toEqual([]);
    await eventually(() =>
      expect(a.usage.summarize(day).map((g) => [g.model, g.runs])).toEqual([
        ["m", 2],
        ["other", 1],
      ]),
    );
    expect(a.usage.summarize(day)[0]).toMatchObject({ input: 20, output: 10, cacheRead: 2, cacheWrite: 0 });
    a.usage.recordOneOff({ ...rec, ...tokens, runId: "q4", endedAt });
    await a.close();
    const b = await openSqliteStore({ stateDir: t.dir, config });
    expect(b.usage.summarize(day).map((g) => g.runs)).toEqual([3, 1]);
    // Two commits, two groups: one row per group however many commits added to it, none under
    // a session of its own.
    const db = openSqlite(join(t.dir, SESSIONS_FILE), { readonly: true });
    const rows = db.prepare("SELECT session_key, runs FROM usage_records ORDER BY runs DESC").all();
    db.close();
    expect(rows).toEqual([
      { session_key: ONE_OFF_SESSION, runs: 3 },
      { session_key: ONE_OFF_SESSION, runs: 1 },
    ]);
    await b.close();
    t.dispose();
  });

  it("folds session rows of old days into one summed row per group: totals stay, rows go", async () => {
    const { store, dir, dispose } = await tempSqliteStore();
    try {
      const rec = { sessionId: "s", agentId: "main", provider: "p", model: "m" };
      const tokens = { input: 10, output: 5, cacheRead: 2, cacheWrite: 1 };
      const at = (day: string) => Date.parse(`${day}T10:00:00Z`);
      let n = 0;
      const add = (sessionKey: string, day: string, model = "m") =>
        store.usage.record({ ...rec, ...tokens, model, sessionKey, runId: `r${++n}`, endedAt: at(day) });
      for (let i = 0; i < 3; i++) add("agent:main:a", "2026-01-01");
      add("agent:main:b", "2026-01-01");
      add("agent:main:a", "2026-01-01", "other");
      add("agent:main:a", "2026-01-02");
      add("agent:main:a", "2026-01-03");
      const range = { from: "2026-01-01", to: "2026-01-31" };
      const before = store.usage.summarize(range);

      // Two rows a call: the five rows of Jan 1 and the one of Jan 2 take three calls.
      expect(store.usage.fold("2026-01-03", 2)).toBe(2);
      expect(store.usage.fold("2026-01-03", 2)).toBe(2);
      expect(store.usage.fold("2026-01-03", 2)).toBe(2);
      expect(store.usage.fold("2026-01-03", 2)).toBe(0);
      expect(store.usage.summarize(range)).toEqual(before);
      expect(before[0]).toMatchObject({ day: "2026-01-01", model: "m", runs: 4, input: 40 });
      // Per-session figures of the folded days are gone; the kept day's stay.
      expect(store.usage.summarize({ ...range, sessionKey: "agent:main:a" }).map((g) => g.day)).toEqual([
        "2026-01-03",
      ]);
      // A late row for a folded day adds to its group's row, not a new one.
      add("agent:main:c", "2026-01-01");
      expect(store.usage.fold("2026-01-03", 100)).toBe(1);
      expect(store.usage.summarize(range)[0]).toMatchObject({
        day: "2026-01-01",
        model: "m",
        runs: 5,
        input: 50,
      });

      const db = openSqlite(join(dir, SESSIONS_FILE), { readonly: true });
      const rows = db
        .prepare("SELECT day, session_key, runs FROM usage_records ORDER BY day, runs DESC")
        .all();
      // The fold's own statement walks the partial index: summed and one-off rows are not in it,
      // so only rows it folds are read.
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${FOLDABLE_SQL}`).all("2026-01-03", 10) as {
        detail: string;
      }[];
      db.close();
      expect(plan.map((r) => r.detail).join("\n")).toMatch(/USING (COVERING )?INDEX usage_detail/);
      expect(rows).toEqual([
        { day: "2026-01-01", session_key: SUMMED_SESSION, runs: 5 },
        { day: "2026-01-01", session_key: SUMMED_SESSION, runs: 1 },
        { day: "2026-01-02", session_key: SUMMED_SESSION, runs: 1 },
        { day: "2026-01-03", session_key: "agent:main:a", runs: 1 },
      ]);
    } finally {
      await dispose();
    }
  });

  it("usage.cost's sums read one index range (usage_day covers them, no table lookups or sort)", async () => {
    const { store, dir, dispose } = await tempSqliteStore();
    try {
      const rec = {
        sessionKey: "agent:main:main",
        sessionId: "s",
        agentId: "main",
        provider: "p",
        model: "m",
      };
      const tokens = { input: 10, output: 5, cacheRead: 2, cacheWrite: 1 };
      store.usage.record({ ...rec, ...tokens, runId: "r1", endedAt: Date.parse("2026-01-01T10:00:00Z") });
      store.usage.record({ ...rec, ...tokens, runId: "r2", endedAt: Date.parse("2026-01-02T10:00:00Z") });
      store.usage.record({ ...rec, ...tokens, runId: "r2", endedAt: Date.parse("2026-01-02T10:00:00Z") });
      expect(store.usage.summarize({ from: "2026-01-02", to: "2026-01-31" })).toEqual([
        { day: "2026-01-02", agentId: "main", provider: "p", model: "m", runs: 1, ...tokens },
      ]);
      const db = openSqlite(join(dir, SESSIONS_FILE), { readonly: true });
      const plan = (
        db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT day, agent_id, provider, model, count(*), sum(input_tokens),
               sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens) FROM usage_records
             WHERE day BETWEEN ? AND ? GROUP BY day, agent_id, provider, model ORDER BY day, agent_id, provider, model`,
          )
          .all("2026-01-01", "2026-01-31") as { detail: string }[]
      )
        .map((r) => r.detail)
        .join("\n");
      db.close();
      expect(plan).toContain("COVERING INDEX usage_day");
      expect(plan).not.toContain("TEMP B-TREE");
    } finally {
      await dispose();
    }
  });

  it("compaction moves rows inside the database in batches: no transcript row is read into memory", async () => {
    const { store, dispose } = await tempSqliteStore();
    try {
      const { entry } = await store.ensure("main", "agent:main:big");
      for (let i = 1; i <= 2_500; i++) {
        await store.appendMessage({
          sessionKey: entry.key,
          sessionId: entry.sessionId,
          role: "user",
          content: `m${i}`,
        });
      }
      const before = store.stats.transcriptRowsRead;
      // Another client keeps writing while the batches run; its messages land after the cut.
      const [result] = await Promise.all([
        store.compact(entry.key, 10),
        store.appendMessage({
          sessionKey: entry.key,
          sessionId: entry.sessionId,
          role: "user",
          content: "during",
        }),
      ]);
      expect(store.stats.transcriptRowsRead).toBe(before);
      expect(result).toMatchObject({ compacted: true, moved: 2_490 });
      const page = await store.readHistory(entry.sessionId, { limit: 100 });
      expect(page.messages.map((m) => m.content)).toEqual([
        ...Array.from({ length: 10 }, (_, i) => `m${2_491 + i}`),
        "during",
      ]);
      expect(
        (await store.readCompacted(entry.sessionId, { limit: 1, offset: 2_489 })).messages[0]?.content,
      ).toBe("m1");
    } finally {
      await dispose();
    }
  });
});
