// Run markers (schema v4) and the recovery pass over them, on a real SQLite store.
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/lifecycle/logger.js";
import { endInterruptedRuns, markStart } from "../../src/runs/recovery.js";
import { openSqliteStore } from "../../src/sessions/sqlite.js";
import { makeConfig, tempDir, tempSqliteStore } from "./helpers.js";

describe("run markers", () => {
  it("a mark survives reopening the store, and close records the session's last run status", async () => {
    const t = tempDir();
    try {
      const config = makeConfig();
      let store = await openSqliteStore({ stateDir: t.dir, config });
      const { entry } = await store.ensure("main", "agent:main:main");
      await markStart(store, {
        runId: "r1",
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        acceptedAt: 5,
      });
      await markStart(store, {
        runId: "r2",
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        acceptedAt: 6,
      });
      await store.runMarkers.close("r2", "ok");
      await store.close();
      store = await openSqliteStore({ stateDir: t.dir, config });
      expect((await store.runMarkers.unfinished()).map((m) => m.runId)).toEqual(["r1"]);
      expect((await store.get(entry.key))?.lastRunStatus).toBe("ok");
      await store.close();
    } finally {
      t.dispose();
    }
  });

  it("beginRun and endRun write a run's start and end each as one commit", async () => {
    const t = await tempSqliteStore();
    try {
      const { store } = t;
      const { entry } = await store.ensure("main", "agent:main:main");
      const at = { sessionKey: entry.key, sessionId: entry.sessionId };
      const user = await store.beginRun!(
        { runId: "r1", ...at, startedAt: 1 },
        { ...at, role: "user", content: "q", runId: "r1", idempotencyKey: "r1" },
      );
      expect(user.seq).toBe(1);
      expect((await store.runMarkers.unfinished()).map((m) => m.runId)).toEqual(["r1"]);
      await store.endRun!({
        runId: "r1",
        status: "ok",
        message: { ...at, role: "assistant", content: "a", runId: "r1" },
        usage: { key: entry.key, input: 3, output: 4 },
      });
      expect(await store.runMarkers.unfinished()).toEqual([]);
      const after = await store.get(entry.key);
      expect(after).toMatchObject({ lastRunStatus: "ok", inputTokens: 3, outputTokens: 4 });
      expect(
        (await store.readHistory(entry.sessionId, { limit: 10 })).messages.map((m) => m.content),
      ).toEqual(["q", "a"]);
      // A write that fails rolls the whole end back: the mark stays, so recovery still sees the run.
      await store.beginRun!(
        { runId: "r2", ...at, startedAt: 2 },
        { ...at, role: "user", content: "q2", runId: "r2" },
      );
      await expect(
        store.endRun!({
          runId: "r2",
          status: "ok",
          message: {
            sessionKey: "agent:main:other",
            sessionId: entry.sessionId,
            role: "assistant",
            content: "x",
          },
        }),
      ).rejects.toThrow(/unknown session/);
      expect(await store.countMessages(entry.sessionId)).toBe(3);
      expect((await store.runMarkers.unfinished()).map((m) => m.runId)).toEqual(["r2"]);
    } finally {
      await t.dispose();
    }
  });

  it("recovery ends each mark once, and a mark whose session was deleted is only cleared", async () => {
    const t = await tempSqliteStore();
    try {
      const { store } = t;
      const a = (await store.ensure("main", "agent:main:a")).entry;
      const b = (await store.ensure("main", "agent:main:b")).entry;
      await markStart(store, { runId: "ra", sessionKey: a.key, sessionId: a.sessionId, acceptedAt: 1 });
      await store.appendMessage({
        sessionKey: a.key,
        sessionId: a.sessionId,
        role: "user",
        content: "q",
        runId: "ra",
      });
      await markStart(store, { runId: "rb", sessionKey: b.key, sessionId: b.sessionId, acceptedAt: 2 });
      await store.retire(b.key);
      await store.purge(b.sessionId);
      expect(await endInterruptedRuns(store, silentLogger())).toBe(1);
      expect(await store.runMarkers.unfinished()).toEqual([]);
      const history = await store.readHistory(a.sessionId, { limit: 10 });
      expect(history.messages.map((m) => [m.role, m.meta?.["errorKind"]])).toEqual([
        ["user", undefined],
        ["assistant", "interrupted"],
      ]);
      expect((await store.get(a.key))?.lastRunStatus).toBe("interrupted");
      // A crash during recovery re-marks nothing twice: the entry is idempotent.
      await markStart(store, { runId: "ra", sessionKey: a.key, sessionId: a.sessionId, acceptedAt: 1 });
      await endInterruptedRuns(store, silentLogger());
      expect(await store.countMessages(a.sessionId)).toBe(2);
    } finally {
      await t.dispose();
    }
  });
});
