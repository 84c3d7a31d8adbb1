// diagnostics.stability on a live gateway: restart sentinel, periodic samples, shedding, live figures.
import { describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.js";
import { startGateway } from "../helpers/gateway.js";
import { type Frame, openClient, TestSocket } from "../helpers/ws.js";

describe("diagnostics.stability", () => {
  it("reports this start, memory and heartbeat samples, shed sockets and the live figures", async () => {
    await using gw = await startGateway({
      config: { gateway: { healthRefreshMs: 1_000, preAuth: { maxConnections: 1, maxPerAddress: 64 } } },
    });
    await using s = await openClient(gw.url, { scopes: ["operator.read"] });
    // Two more sockets that never connect: the second pushes the first out of the pre-auth budget.
    await using a = await TestSocket.open(gw.url);
    await using b = await TestSocket.open(gw.url);
    await a.closed;
    const report = await eventually(
      async () => {
        const r = (await s.request("diagnostics.stability", { limit: 100 })).payload;
        expect(r.summary.byType["diagnostic.heartbeat"]).toBeGreaterThan(0);
        return r;
      },
      { timeoutMs: 10_000, message: "the first health refresh to record a sample" },
    );
    expect(report).toMatchObject({
      generatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      capacity: 1_000,
      dropped: 0,
      firstSeq: 1,
    });
    expect(report.count).toBe(report.events.length);
    const types = report.events.map((e: Frame) => e.type);
    expect(types[0]).toBe("gateway.restart");
    expect(types).toEqual(expect.arrayContaining(["gateway.shed", "diagnostic.memory.sample"]));
    expect(report.summary.restart).toEqual({ rapidCount: 0, delayMs: 0 });
    // One socket shed (ws.ts names a same-address victim by the per-address cap).
    expect(Object.values(report.summary.shed)).toEqual([1]);
    const sample = report.events.find((e: Frame) => e.type === "diagnostic.memory.sample");
    expect(sample.memory.rssBytes).toBeGreaterThan(sample.memory.heapUsedBytes);
    expect(report.summary.memory.maxRssBytes).toBeGreaterThanOrEqual(sample.memory.rssBytes);
    const beat = report.events.find((e: Frame) => e.type === "diagnostic.heartbeat");
    expect(beat).toMatchObject({ active: 0, connections: expect.any(Number), eventLoop: expect.any(Object) });
    // The figures at the moment of asking: this socket and the pre-auth one still open.
    expect(report.summary.live.connections.open).toBe(2);
    expect(report.summary.live.runs).toEqual({ active: 0, finished: 0 });
    expect(report.summary.live.eventLoop.delayP99Ms).toEqual(expect.any(Number));

    const only = (await s.request("diagnostics.stability", { type: "gateway.restart" })).payload;
    expect(only.events.map((e: Frame) => e.type)).toEqual(["gateway.restart"]);
    expect(b.frames[0].event).toBe("connect.challenge");
  });
});
