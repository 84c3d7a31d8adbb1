// StabilityLog: bounded ring, per-type filter and counts, whole-uptime memory maxima.
import { describe, expect, it } from "vitest";
import { type MemorySample, StabilityLog } from "../../src/lifecycle/stability.js";

const mem = (rss: number, heap: number): MemorySample => ({
  rssBytes: rss,
  heapTotalBytes: heap * 2,
  heapUsedBytes: heap,
  externalBytes: 1,
  arrayBuffersBytes: 1,
});
const work = { active: 2, connections: 3, eventLoop: { delayP99Ms: 1, delayMaxMs: 2, utilization: 0.1 } };

describe("StabilityLog", () => {
  it("keeps the newest events up to its capacity and counts the dropped ones", () => {
    let t = 1_000;
    const log = new StabilityLog(4, () => t++);
    for (let i = 0; i < 6; i++) log.record("x", { i });
    const r = log.report();
    expect(r).toMatchObject({ capacity: 4, count: 4, dropped: 2, firstSeq: 3, lastSeq: 6 });
    expect(r.events.map((e) => e.i)).toEqual([2, 3, 4, 5]);
    expect(r.events[0]).toMatchObject({ seq: 3, type: "x", ts: expect.any(Number) });
    expect(log.report({ limit: 2 }).events.map((e) => e.seq)).toEqual([5, 6]);
  });

  it("samples memory and work; maxima and pressure cover samples the ring no longer holds", () => {
    const log = new StabilityLog(16);
    log.sample(work, mem(500, 90), true);
    for (let i = 0; i < 10; i++) log.sample(work, mem(100, 10), false);
    const r = log.report({ type: "diagnostic.heartbeat", limit: 3 });
    expect(r.count).toBe(3);
    expect(r.events.every((e) => e.type === "diagnostic.heartbeat" && e["active"] === 2)).toBe(true);
    expect(r.summary.memory).toEqual({
      latest: mem(100, 10),
      maxRssBytes: 500,
      maxHeapUsedBytes: 90,
      pressureCount: 1,
    });
    // byType counts what the ring holds of that type (16 events: the pressure one was dropped).
    expect(log.report().summary.byType).toEqual({ "diagnostic.memory.sample": 8, "diagnostic.heartbeat": 8 });
  });

  it("keeps the restart decision and shed totals in the summary", () => {
    const log = new StabilityLog(2);
    log.recordRestart({ rapidCount: 3, delayMs: 4_000 });
    log.recordShed({ "gateway.preAuth.maxConnections": 2 });
    log.recordShed({ "gateway.preAuth.maxConnections": 1, "gateway.http.maxPendingSockets": 5 });
    const r = log.report();
    expect(r.events.map((e) => e.type)).toEqual(["gateway.shed", "gateway.shed"]);
    expect(r.summary.restart).toEqual({ rapidCount: 3, delayMs: 4_000 });
    expect(r.summary.shed).toEqual({
      "gateway.preAuth.maxConnections": 3,
      "gateway.http.maxPendingSockets": 5,
    });
  });
});
