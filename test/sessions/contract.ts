// The SessionStore contract: one suite every backend runs (SQLite today, Postgres later).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionStore } from "../../src/sessions/store.js";

export interface StoreFixture {
  store: SessionStore;
  dispose: () => Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY = 86_400_000;
const noKeep = () => false;
/** Lets the millisecond clock move so updatedAt orders writes. */
const tick = () => new Promise((r) => setTimeout(r, 3));

/** Registers the contract tests for one backend; `factory` returns an empty store each time. */
export function sessionStoreContract(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: SessionStore;
    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.dispose();
    });

    const append = (key: string, sessionId: string, n: number, role: "user" | "assistant" = "user") =>
      (async () => {
        for (let i = 1; i <= n; i++)
          await store.appendMessage({ sessionKey: key, sessionId, role, content: `m${i}` });
      })();

    it("ensure creates a session once and maps the key to a uuid sessionId", async () => {
      const a = await store.ensure("main", "agent:main:main");
      expect(a.created).toBe(true);
      expect(a.entry.sessionId).toMatch(UUID);
      expect(a.entry).toMatchObject({
        key: "agent:main:main",
        agentId: "main",
        messageCount: 0,
        totalTokens: 0,
      });
      const b = await store.ensure("main", "agent:main:main");
      expect(b.created).toBe(false);
      expect(b.entry.sessionId).toBe(a.entry.sessionId);
      expect((await store.get("agent:main:main"))?.sessionId).toBe(a.entry.sessionId);
      expect(await store.get("agent:main:other")).toBeUndefined();
    });

    it("notifies creation listeners once per new session", async () => {
      const seen: string[] = [];
      const off = store.onSessionCreated((e) => seen.push(e.key));
      await store.ensure("main", "agent:main:a");
      await store.ensure("main", "agent:main:a");
      await store.ensure("ops", "agent:ops:b");
      off();
      await store.ensure("main", "agent:main:c");
      expect(seen).toEqual(["agent:main:a", "agent:ops:b"]);
    });

    it("patch sets and clears fields, and rejects an unknown key", async () => {
      const { entry } = await store.ensure("main", "agent:main:main");
      const p = await store.patch(entry.key, { label: "Work", modelOverride: "m1", providerOverride: "p1" });
      expect(p).toMatchObject({ label: "Work", modelOverride: "m1", providerOverride: "p1" });
      expect(p.updatedAt).toBeGreaterThanOrEqual(entry.updatedAt);
      const cleared = await store.patch(entry.key, { label: null });
      expect(cleared.label).toBeUndefined();
      expect(cleared.modelOverride).toBe("m1");
      await expect(store.patch("agent:main:nope", { label: "x" })).rejects.toMatchObject({
        code: "INVALID_REQUEST",
        details: { code: "SESSION_NOT_FOUND", key: "agent:main:nope" },
      });
    });

    it("appends messages with contiguous seqs, meta, and user-only lastInteractionAt", async () => {
      const { entry } = await store.ensure("main", "agent:main:main");
      const m1 = await store.appendMessage({
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        role: "user",
        content: "hi",
        timestamp: 1_000,
      });
      const m2 = await store.appendMessage({
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        role: "assistant",
        content: "hello",
        timestamp: 2_000,
        runId: "r1",
        meta: { stopReason: "stop", usage: { input: 3, output: 2 } },
      });
      expect([m1.seq, m2.seq]).toEqual([1, 2]);
      expect(m1.id).not.toBe(m2.id);
      const after = await store.get(entry.key);
      expect(after?.messageCount).toBe(2);
      expect(after?.lastInteractionAt).toBe(1_000);
      const page = await store.readHistory(entry.sessionId, { limit: 10 });
      expect(page.messages.map((m) => [m.role, m.content])).toEqual([
        ["user", "hi"],
        ["assistant", "hello"],
      ]);
      expect(page.messages[1]).toMatchObject({
        runId: "r1",
        meta: { stopReason: "stop", usage: { input: 3 } },
      });
      expect(await store.countMessages(entry.sessionId)).toBe(2);
    });

    it("an idempotency key appends once; a stale or foreign sessionId is refused", async () => {
      const { entry } = await store.ensure("main", "agent:main:main");
      const input = {
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        role: "user" as const,
        content: "x",
      };
      const a = await store.appendMessage({ ...input, idempotencyKey: "k1" });
      const b = await store.appendMessage({ ...input, idempotencyKey: "k1" });
      expect(b.id).toBe(a.id);
      expect(await store.countMessages(entry.sessionId)).toBe(1);
      await expect(store.appendMessage({ ...input, sessionKey: "agent:main:other" })).rejects.toMatchObject({
        code: "INVALID_REQUEST",
      });
      await expect(store.appendMessage({ ...input, sessionId: "no-such-id" })).rejects.toMatchObject({
        code: "INVALID_REQUEST",
      });
    });

    it("reads history in pages counted from the newest end", async () => {
      const { entry } = await store.ensure("main", "agent:main:main");
      await append(entry.key, entry.sessionId, 25);
      const last = await store.readHistory(entry.sessionId, { limit: 10 });
      expect(last.messages.map((m) => m.content)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 16}`));
      expect(last).toMatchObject({ hasMore: true, nextOffset: 10, total: 25 });
      const seen: string[] = [];
      let offset: number | null = 0;
      while (offset !== null) {
        const page = await store.readHistory(entry.sessionId, { limit: 10, offset });
        seen.unshift(...page.messages.map((m) => m.content));
        offset = page.nextOffset;
      }
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `m${i + 1}`));
      const beyond = await store.readHistory(entry.sessionId, { limit: 10, offset: 30 });
      expect(beyond).toMatchObject({ messages: [], hasMore: false, nextOffset: null });
    });

    it("counts transcript rows read, and listing reads none", async () => {
      const { entry } = await store.ensure("main", "agent:main:main");
      await append(entry.key, entry.sessionId, 5);
      const before = store.stats.transcriptRowsRead;
      await store.list({ limit: 10 });
      await store.get(entry.key);
      await store.countMessages(entry.sessionId);
      expect(store.stats.transcriptRowsRead).toBe(before);
      await store.readHistory(entry.sessionId, { limit: 3 });
      expect(store.stats.transcriptRowsRead).toBe(before + 3);
    });

    it("addUsage accumulates token counters", async () => {
      const { entry } = await store.ensure("main", "agent:main:main");
      await store.addUsage(entry.key, { input: 10, output: 7 });
      await store.addUsage(entry.key, { input: 1, output: 2, context: 500 });
      expect(await store.get(entry.key)).toMatchObject({
        inputTokens: 11,
        outputTokens: 9,
        totalTokens: 20,
        contextTokens: 500,
      });
    });

    it("reset mints a new sessionId under the same key and keeps the old transcript", async () => {
      const { entry } = await store.ensure("main", "agent:main:main");
      await store.patch(entry.key, { label: "L" });
      await append(entry.key, entry.sessionId, 3);
      await store.addUsage(entry.key, { input: 5, output: 5 });
      const fresh = await store.reset(entry.key);
      expect(fresh.key).toBe(entry.key);
      expect(fresh.sessionId).not.toBe(entry.sessionId);
      expect(fresh).toMatchObject({ label: "L", messageCount: 0, totalTokens: 0 });
      expect((await store.get(entry.key))?.sessionId).toBe(fresh.sessionId);
      expect((await store.readHistory(entry.sessionId, { limit: 10 })).messages).toHaveLength(3);
      const old = await store.getBySessionId(entry.sessionId);
      expect(old?.retiredAt).toBeTypeOf("number");
      await expect(store.reset("agent:main:nope")).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    });

    it("retire hides a session from the live list, lists it as retired, and purge removes it", async () => {
      const { entry } = await store.ensure("main", "agent:main:gone");
      await store.ensure("main", "agent:main:stays");
      await append(entry.key, entry.sessionId, 2);
      expect(await store.purge(entry.sessionId)).toBe(false); // live rows are never purged
      const retired = await store.retire(entry.key);
      expect(retired?.retiredAt).toBeTypeOf("number");
      expect(await store.get(entry.key)).toBeUndefined();
      expect((await store.list({ limit: 10 })).rows.map((r) => r.key)).toEqual(["agent:main:stays"]);
      const listed = await store.list({ limit: 10, retired: true });
      expect(listed.rows.map((r) => r.sessionId)).toEqual([entry.sessionId]);
      // The key is free again once retired.
      const again = await store.ensure("main", entry.key);
      expect(again.created).toBe(true);
      expect(await store.purge(entry.sessionId)).toBe(true);
      expect(await store.getBySessionId(entry.sessionId)).toBeUndefined();
      expect((await store.readHistory(entry.sessionId, { limit: 10 })).total).toBe(0);
      expect(await store.retire("agent:main:none")).toBeUndefined();
    });

    it("lists newest first with paging, totals and filters", async () => {
      for (let i = 0; i < 7; i++) await store.ensure("main", `agent:main:s${i}`);
      for (let i = 0; i < 3; i++) await store.ensure("ops", `agent:ops:t${i}`);
      await tick();
      await store.patch("agent:main:s2", { label: "Deploy", displayName: "Night Shift" });
      const first = await store.list({ limit: 4 });
      expect(first.total).toBe(10);
      expect(first).toMatchObject({ hasMore: true, nextOffset: 4 });
      expect(first.rows[0]?.key).toBe("agent:main:s2"); // patched last, so most recently updated
      const keys: string[] = [];
      let offset: number | null = 0;
      while (offset !== null) {
        const page = await store.list({ limit: 4, offset });
        keys.push(...page.rows.map((r) => r.key));
        offset = page.nextOffset;
      }
      expect(new Set(keys).size).toBe(10);
      expect(keys).toHaveLength(10);
      expect((await store.list({ limit: 10, agentId: "ops" })).total).toBe(3);
      expect((await store.list({ limit: 10, search: "NIGHT" })).rows.map((r) => r.key)).toEqual([
        "agent:main:s2",
      ]);
      expect((await store.list({ limit: 10, search: "ops:t1" })).rows.map((r) => r.key)).toEqual([
        "agent:ops:t1",
      ]);
      expect((await store.list({ limit: 10, search: "%" })).total).toBe(0);
      expect((await store.list({ limit: 10, label: "Deploy" })).total).toBe(1);
      expect((await store.list({ limit: 10, activeMinutes: 5 })).total).toBe(10);
      expect((await store.list({ limit: 10, activeMinutes: 5, now: Date.now() + 10 * 60_000 })).total).toBe(
        0,
      );
      expect((await store.list({ limit: 10, excludeKeys: ["agent:ops:t0"] })).total).toBe(9);
    });

    it("returns fresh rows: changing one a caller holds does not change the store", async () => {
      const { entry } = await store.ensure("main", "agent:main:main");
      const row = (await store.list({ limit: 1 })).rows[0]!;
      // @ts-expect-error rows are read-only to callers
      row.label = "mutated";
      expect((await store.get(entry.key))?.label).toBeUndefined();
    });

    it("prune enforces maxEntries per agent, keeps protected sessions, and ignores retired rows", async () => {
      for (let i = 0; i < 6; i++) await store.ensure("main", `agent:main:s${i}`);
      for (let i = 0; i < 2; i++) await store.ensure("ops", `agent:ops:t${i}`);
      await store.retire("agent:main:s5");
      const { entry: old } = await store.ensure("main", "cron:nightly");
      await append(old.key, old.sessionId, 2);
      // s0 is the least recently updated live session; an active run protects it.
      const keep = (k: string) => k === "agent:main:s0";
      const r = await store.prune({ maxEntries: 3, pruneAfterMs: DAY, keep });
      const live = (await store.list({ limit: 50, agentId: "main" })).rows.map((x) => x.key).sort();
      expect(live).toEqual(["agent:main:s0", "agent:main:s3", "agent:main:s4", "cron:nightly"].sort());
      expect(r.pruned).toBe(2); // s1 and s2; s0 was over the cap too but kept
      expect((await store.list({ limit: 50, agentId: "ops" })).total).toBe(2);
      expect((await store.list({ limit: 50, retired: true })).total).toBe(1);
    });

    it("prune removes stale sessions and old retired rows with their transcripts", async () => {
      const { entry: a } = await store.ensure("main", "agent:main:a");
      const { entry: b } = await store.ensure("main", "hook:123");
      await store.ensure("main", "agent:main:active");
      await append(a.key, a.sessionId, 3);
      await append(b.key, b.sessionId, 3);
      await store.retire(b.key);
      const later = Date.now() + 2 * DAY;
      const r = await store.prune({
        maxEntries: 100,
        pruneAfterMs: DAY,
        keep: (k) => k === "agent:main:active",
        now: later,
      });
      expect(r).toEqual({ pruned: 1, purged: 1 });
      expect((await store.list({ limit: 10 })).rows.map((x) => x.key)).toEqual(["agent:main:active"]);
      expect((await store.list({ limit: 10, retired: true })).total).toBe(0);
      expect(await store.countMessages(a.sessionId)).toBe(0);
      expect((await store.readHistory(b.sessionId, { limit: 10 })).messages).toHaveLength(0);
      expect(await store.prune({ maxEntries: 100, pruneAfterMs: DAY, keep: noKeep })).toEqual({
        pruned: 0,
        purged: 0,
      });
    });

    it("archiving is a flag on a live session: hidden by default, listed on request, restorable", async () => {
      const { entry } = await store.ensure("main", "agent:main:arch");
      await store.ensure("main", "agent:main:other");
      await append(entry.key, entry.sessionId, 2);
      const archived = await store.patch(entry.key, { archived: true });
      expect(archived).toMatchObject({
        sessionId: entry.sessionId,
        archiveReason: "manual",
        messageCount: 2,
      });
      expect(archived.archivedAt).toBeTypeOf("number");
      expect(archived.retiredAt).toBeUndefined();
      const keys = async (archivedMode?: "exclude" | "include" | "only") =>
        (await store.list({ limit: 10, ...(archivedMode ? { archived: archivedMode } : {}) })).rows.map(
          (r) => r.key,
        );
      expect(await keys()).toEqual(["agent:main:other"]);
      expect((await keys("include")).sort()).toEqual(["agent:main:arch", "agent:main:other"]);
      expect(await keys("only")).toEqual(["agent:main:arch"]);
      // Still live: readable, writable, not a retired row.
      expect((await store.get(entry.key))?.sessionId).toBe(entry.sessionId);
      expect((await store.list({ limit: 10, retired: true })).total).toBe(0);
      const restored = await store.patch(entry.key, { archived: false });
      expect(restored.archivedAt).toBeUndefined();
      expect(restored.archiveReason).toBeUndefined();
      expect((await keys()).sort()).toEqual(["agent:main:arch", "agent:main:other"]);
    });

    it("patch and retire with expectedSessionId refuse a key whose sessionId changed", async () => {
      const { entry } = await store.ensure("main", "agent:main:g");
      await store.reset(entry.key);
      await expect(
        store.patch(entry.key, { label: "x" }, { expectedSessionId: entry.sessionId }),
      ).rejects.toMatchObject({
        code: "INVALID_REQUEST",
        message: "expectedSessionId mismatch",
        details: { code: "SESSION_ID_MISMATCH" },
      });
      expect((await store.get(entry.key))?.label).toBeUndefined();
      expect(await store.retire(entry.key, { expectedSessionId: entry.sessionId })).toBeUndefined();
      const current = (await store.get(entry.key))!;
      expect(
        (await store.patch(entry.key, { label: "y" }, { expectedSessionId: current.sessionId })).label,
      ).toBe("y");
      expect((await store.retire(entry.key, { expectedSessionId: current.sessionId }))?.retiredAt).toBeTypeOf(
        "number",
      );
    });

    it("compact keeps the newest maxLines messages and moves the rest to a readable archive", async () => {
      const { entry } = await store.ensure("main", "agent:main:c");
      await append(entry.key, entry.sessionId, 25);
      expect(await store.compact(entry.key, 30)).toEqual({ compacted: false, kept: 25, moved: 0 });
      expect(await store.compact(entry.key, 10)).toEqual({ compacted: true, kept: 10, moved: 15 });
      const page = await store.readHistory(entry.sessionId, { limit: 100 });
      expect(page.messages.map((m) => m.content)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 16}`));
      expect(page).toMatchObject({ total: 10, hasMore: false, nextOffset: null });
      expect((await store.get(entry.key))?.messageCount).toBe(10);
      expect(await store.countMessages(entry.sessionId)).toBe(10);
      // Paging from the end stops at the first kept message.
      const older = await store.readHistory(entry.sessionId, { limit: 4, offset: 8 });
      expect(older.messages.map((m) => m.content)).toEqual(["m16", "m17"]);
      expect(older.hasMore).toBe(false);
      const archive = await store.readCompacted(entry.sessionId, { limit: 5 });
      expect(archive.messages.map((m) => m.content)).toEqual(["m11", "m12", "m13", "m14", "m15"]);
      expect(archive).toMatchObject({ total: 15, hasMore: true, nextOffset: 5 });
      // New messages keep counting on; a second compaction moves only what is past the cut.
      await store.appendMessage({
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        role: "user",
        content: "new",
      });
      expect((await store.readHistory(entry.sessionId, { limit: 1 })).messages[0]).toMatchObject({ seq: 26 });
      expect(await store.compact(entry.key, 3)).toEqual({ compacted: true, kept: 3, moved: 8 });
      expect((await store.readCompacted(entry.sessionId, { limit: 100 })).total).toBe(23);
      await expect(store.compact("agent:main:none", 3)).rejects.toMatchObject({
        details: { code: "SESSION_NOT_FOUND" },
      });
      // Purging a retired session removes its archive too.
      await store.retire(entry.key);
      expect(await store.purge(entry.sessionId)).toBe(true);
      expect((await store.readCompacted(entry.sessionId, { limit: 10 })).total).toBe(0);
    });

    it("a retried append whose first copy was compacted away still appends once", async () => {
      const { entry } = await store.ensure("main", "agent:main:idem");
      const idem = {
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        role: "user" as const,
        idempotencyKey: "k",
      };
      const first = await store.appendMessage({ ...idem, content: "once" });
      await store.appendMessage({
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        role: "assistant",
        content: "later",
      });
      expect(await store.compact(entry.key, 1)).toMatchObject({ compacted: true, kept: 1 });
      const again = await store.appendMessage({ ...idem, content: "again" });
      expect(again.id).toBe(first.id);
      expect((await store.readHistory(entry.sessionId, { limit: 5 })).messages.map((m) => m.content)).toEqual(
        ["later"],
      );
    });

    it("close can be called twice", async () => {
      await store.close();
      await store.close();
    });
  });
}
