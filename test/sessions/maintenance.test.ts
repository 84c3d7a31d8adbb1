import { afterEach, describe, expect, it } from "vitest";
import { FOLD_BATCH, startMaintenance, writeBatch } from "../../src/sessions/maintenance.js";
import { usageDay } from "../../src/sessions/usage-store.js";
import type { PruneResult } from "../../src/sessions/store.js";
import { eventually } from "../helpers/eventually.js";
import { tempSqliteStore } from "./helpers.js";

const fixtures: Array<() => Promise<void>> = [];
/** A usage record's fields but its session, run id and end. */
const rec = {
  sessionId: "s",
  agentId: "main",
  provider: "p",
  model: "m",
  input: 1,
  output: 1,
  cacheRead: 0,
  cacheWrite: 0,
};
afterEach(async () => {
  for (const d of fixtures.splice(0)) await d();
});

async function setup(maintenance: Record<string, unknown>) {
  const fx = await tempSqliteStore({ session: { maintenance } });
  fixtures.push(fx.dispose);
  return fx;
}

describe("session maintenance", () => {
  it("applies maxEntries on write and never prunes a session with an active run", async () => {
    const { store, config } = await setup({ maxEntries: 10 });
    const active = new Set(["agent:main:s0"]);
    const m = startMaintenance(store, config, (k) => active.has(k));
    fixtures.unshift(async () => m.dispose());
    for (let i = 0; i < 15; i++) await store.ensure("main", `agent:main:s${i}`);
    // Subagent, cron and hook sessions count and go like any other.
    await store.ensure("main", "cron:job");
    await store.ensure("main", "hook:h1");
    await store.ensure("main", "agent:main:subagent:1");
    const live = async () => (await store.list({ limit: 100, agentId: "main" })).rows.map((r) => r.key);
    await eventually(async () => (await live()).length === 11, { message: "the cap to prune down to 11" });
    const keys = await live();
    expect(keys).toContain("agent:main:s0");
    expect(keys).toEqual(expect.arrayContaining(["cron:job", "hook:h1", "agent:main:subagent:1"]));
    expect(keys).not.toContain("agent:main:s1");
  });

  it("prunes in batches: the cap may be passed by less than one batch between passes", async () => {
    const { store, config } = await setup({ maxEntries: 100 });
    expect(writeBatch(100)).toBe(10);
    const pruned: PruneResult[] = [];
    const m = startMaintenance(store, config, () => false, { onPruned: (r) => pruned.push(r) });
    fixtures.unshift(async () => m.dispose());
    // Each creation in its own turn of the event loop, as separate requests would arrive.
    const create = async (i: number) => {
      await store.ensure("main", `agent:main:s${i}`);
      await new Promise((r) => setImmediate(r));
    };
    for (let i = 0; i < 105; i++) await create(i);
    // The behaviour under test is that nothing happens: 5 over the cap is less than a batch.
    await new Promise((r) => setTimeout(r, 50));
    expect((await store.list({ limit: 1 })).total).toBe(105);
    for (let i = 105; i < 110; i++) await create(i);
    await eventually(async () => (await store.list({ limit: 1 })).total === 100, {
      message: "one batch to be pruned",
    });
    expect(pruned.reduce((n, r) => n + r.pruned, 0)).toBe(10);
    expect(pruned).toHaveLength(1);
  });

  it("does not count retired rows as live", async () => {
    const { store, config } = await setup({ maxEntries: 3 });
    const m = startMaintenance(store, config, () => false);
    fixtures.unshift(async () => m.dispose());
    for (let i = 0; i < 3; i++) await store.ensure("main", `agent:main:a${i}`);
    await store.retire("agent:main:a0");
    await store.retire("agent:main:a1");
    for (let i = 0; i < 2; i++) await store.ensure("main", `agent:main:b${i}`);
    await m.sweep();
    expect((await store.list({ limit: 10 })).total).toBe(3);
    expect((await store.list({ limit: 10, retired: true })).total).toBe(2);
  });

  it("the timer prunes stale sessions without any write, and stops when disposed", async () => {
    const { store, config } = await setup({ pruneAfter: "1s", intervalMs: 1_000 });
    const passes: PruneResult[] = [];
    const m = startMaintenance(store, config, (k) => k === "agent:main:busy", {
      onPruned: (r) => passes.push(r),
    });
    await store.ensure("main", "agent:main:idle");
    await store.ensure("main", "agent:main:busy");
    await eventually(async () => (await store.list({ limit: 10 })).total === 1, {
      timeoutMs: 4_000,
      message: "the timer to prune the idle session",
    });
    expect((await store.list({ limit: 10 })).rows[0]?.key).toBe("agent:main:busy");
    m.dispose();
    const after = passes.length;
    await store.ensure("main", "agent:main:late");
    // Past two 1 s intervals with the timer disposed: no pass may run.
    await new Promise((r) => setTimeout(r, 2_300));
    expect(passes.length).toBe(after);
    expect(await store.get("agent:main:late")).toBeDefined();
  });

  it("folds usage rows older than usageDetailDays in batches, leaving the totals and newer rows", async () => {
    const { store, config } = await setup({ usageDetailDays: 2 });
    const DAY = 86_400_000;
    const old = FOLD_BATCH * 2 + 7;
    for (let i = 0; i < old; i++) {
      store.usage.record({
        ...rec,
        sessionKey: `agent:main:s${i % 5}`,
        runId: `old${i}`,
        endedAt: Date.now() - 5 * DAY,
      });
    }
    store.usage.record({ ...rec, sessionKey: "agent:main:s0", runId: "recent", endedAt: Date.now() - DAY });
    const range = { from: usageDay(Date.now() - 10 * DAY), to: usageDay(Date.now()) };
    const before = store.usage.summarize(range);
    const folded: number[] = [];
    const m = startMaintenance(store, config, () => false, { onFolded: (rows) => folded.push(rows) });
    fixtures.unshift(async () => m.dispose());
    m.foldUsage();
    await eventually(() => folded.length === 1, { message: "the fold to finish its batches" });
    // Every old row, over three batches, reported once; the recent one is left as it was.
    expect(folded).toEqual([old]);
    expect(store.usage.summarize(range)).toEqual(before);
    expect(store.usage.summarize({ ...range, sessionKey: "agent:main:s0" })).toEqual([
      expect.objectContaining({ day: usageDay(Date.now() - DAY), runs: 1 }),
    ]);
  });

  it("a fold whose report throws is logged and the next runs; one disposed between batches reports nothing", async () => {
    const { store, config } = await setup({ usageDetailDays: 1 });
    const old = Date.now() - 3 * 86_400_000;
    const errors: unknown[] = [];
    let reports = 0;
    const m = startMaintenance(store, config, () => false, {
      onFolded: () => {
        reports++;
        throw new Error("report failed");
      },
      onError: (err) => errors.push(err),
    });
    fixtures.unshift(async () => m.dispose());
    store.usage.record({ ...rec, sessionKey: "agent:main:a", runId: "a", endedAt: old });
    m.foldUsage();
    await eventually(() => errors.length === 1, { message: "the first fold's report to fail" });
    store.usage.record({ ...rec, sessionKey: "agent:main:b", runId: "b", endedAt: old });
    m.foldUsage();
    await eventually(() => reports === 2, { message: "a second fold to run after the failed report" });
    // Disposed between two batches (the first runs at once, the next after a turn): the fold
    // stops there and reports nothing.
    for (let i = 0; i <= FOLD_BATCH; i++) {
      store.usage.record({ ...rec, sessionKey: "agent:main:c", runId: `c${i}`, endedAt: old });
    }
    m.foldUsage();
    m.dispose();
    await new Promise((r) => setTimeout(r, 20));
    expect(reports).toBe(2);
  });
});
