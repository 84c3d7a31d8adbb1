import { setTimeout as sleep } from "node:timers/promises";
import { Type } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import { defineMethod } from "../../src/methods/registry.js";
import { eventually } from "../helpers/eventually.js";
import { startGateway } from "../helpers/gateway.js";
import { type Frame, openClient, TestSocket } from "../helpers/ws.js";

/** test.slow calls the gateway has begun handling. */
let slowStarted = 0;

const slow = defineMethod({
  name: "test.slow",
  scope: "operator.read",
  params: Type.Object({ ms: Type.Integer() }, { additionalProperties: false }),
  handler: async (_ctx: unknown, p) => {
    slowStarted++;
    // The wait is the method's behaviour: a request still in flight when the gateway closes.
    await sleep(p.ms);
    return { slept: p.ms };
  },
});

/** The client stops reading: its kernel buffers fill, then the server's send buffer grows. */
const rawSocket = (s: TestSocket) => (s.ws as unknown as { _socket: import("node:net").Socket })._socket;

describe("events", () => {
  it("tick and presence carry a per-connection seq", async () => {
    await using gw = await startGateway({ config: { gateway: { tickIntervalMs: 1_000 } } });
    await using s = await openClient(gw.url);
    const presence = await s.event("presence");
    expect(presence.stateVersion).toEqual({ presence: expect.any(Number), health: expect.any(Number) });
    expect(Object.keys(presence.payload)).toEqual(["presence"]);
    expect(presence.payload.presence).toHaveLength(2); // the gateway and this client
    const tick = await s.event("tick", 3_000);
    expect(Object.keys(tick.payload)).toEqual(["ts"]);
    // Broadcasts are numbered 1, 2, … per connection, whichever came first.
    expect([presence.seq, tick.seq].sort()).toEqual([1, 2]);
    // Targeted events carry no seq.
    expect(s.frames[0].event).toBe("connect.challenge");
    expect(s.frames[0].seq).toBeUndefined();
  });

  it("health events carry the wire-safe snapshot and stateVersion on each background refresh", async () => {
    await using gw = await startGateway({ config: { gateway: { healthRefreshMs: 1_000 } } });
    await using s = await openClient(gw.url);
    const ev = await s.event("health", 3_000);
    expect(ev.seq).toEqual(expect.any(Number));
    expect(ev.stateVersion.health).toBeGreaterThan(1);
    for (const k of Object.keys(ev.payload)) {
      expect(["ok", "ts", "durationMs", "eventLoop", "defaultAgentId"]).toContain(k);
    }
  });

  it("slow consumer: droppable events are skipped with seq advancing; a non-droppable one closes 1008", async () => {
    await using gw = await startGateway({ config: { gateway: { maxBufferedBytes: 64 * 1024 } } });
    await using s = await openClient(gw.url);
    await s.event("presence");
    const bus = gw.handle.context.events;
    const blob = "x".repeat(128 * 1024);
    const fill = async () => {
      for (let i = 0; i < 5_000; i++) {
        const r = bus.broadcast("test.blob", { blob }, { droppable: true });
        if (r.dropped > 0) return;
        await new Promise((r) => setImmediate(r));
      }
      throw new Error("send buffer never filled");
    };
    rawSocket(s).pause();
    await fill();
    for (let i = 0; i < 5; i++)
      expect(bus.broadcast("test.blob", { blob }, { droppable: true }).dropped).toBe(1);
    rawSocket(s).resume();
    // Once drained, the next event arrives with a seq past the skipped ones.
    await eventually(() => bus.broadcast("test.marker", {}, { droppable: true }).sent === 1, {
      timeoutMs: 10_000,
      intervalMs: 20,
      message: "the send buffer to drain",
    });
    const marker: Frame = await s.event("test.marker", 10_000);
    const seqs = s.frames.filter((f) => f.seq !== undefined).map((f) => f.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(marker.seq - seqs.length).toBeGreaterThanOrEqual(6); // at least the 6 dropped
    rawSocket(s).pause();
    await fill();
    const r = bus.broadcast("test.important", { x: 1 });
    expect(r.closed).toBe(1);
    rawSocket(s).resume();
    expect(await s.closed).toEqual({ code: 1008, reason: "slow consumer" });
    expect(s.frames.some((f) => f.event === "test.important")).toBe(false);
  });

  it("scoped events reach only clients with the scope; unknown families need operator.read", async () => {
    await using gw = await startGateway();
    await using reader = await openClient(gw.url, { scopes: ["operator.read"] });
    await using talker = await openClient(gw.url, { scopes: ["operator.talk"] });
    const r = gw.handle.context.events.broadcast("chat", { hello: 1 });
    expect(r.sent).toBe(1);
    await reader.event("chat");
    expect(gw.handle.context.events.broadcast("tick", { ts: 1 }).sent).toBe(2);
    // Frames keep their order on a socket: had the chat event reached the talker, it came before this tick.
    await talker.event("tick");
    expect(talker.frames.some((f) => f.event === "chat")).toBe(false);
  });

  it("gateway close: in-flight requests finish, new ones get gateway-closing, then shutdown and 1012", async () => {
    const gw = await startGateway({ methods: [slow] });
    try {
      await using s = await openClient(gw.url);
      const before = slowStarted;
      s.send({ type: "req", id: "slow", method: "test.slow", params: { ms: 400 } });
      await eventually(() => slowStarted > before, { message: "the gateway to start the slow request" });
      const closing = gw.handle.close("maintenance");
      const shutdown = await s.event("shutdown");
      expect(shutdown.payload).toEqual({ reason: "maintenance" });
      const refused = await s.request("health");
      expect(refused.error).toMatchObject({
        code: "UNAVAILABLE",
        retryable: true,
        details: { reason: "gateway-closing" },
      });
      expect((await s.response("slow")).payload).toEqual({ slept: 400 });
      expect(await s.closed).toEqual({ code: 1012, reason: "service restart" });
      await closing;
      // The listener is gone afterwards.
      await expect(TestSocket.open(gw.url)).rejects.toThrow();
    } finally {
      await gw[Symbol.asyncDispose]();
    }
  });

  it("keepalive: a client that never answers pings is dropped; one that does stays", async () => {
    await using gw = await startGateway({ pingIntervalMs: 200 });
    await using mute = await TestSocket.open(gw.url, { autoPong: false });
    await mute.connect();
    await using good = await openClient(gw.url);
    const t0 = Date.now();
    const closed = await mute.closed;
    expect([1001, 1006]).toContain(closed.code);
    expect(Date.now() - t0).toBeLessThan(2_000);
    // The behaviour under test: the answering client survives more ping rounds (200 ms each).
    await sleep(500);
    expect((await good.request("health")).ok).toBe(true);
  });
});
