// Behaviours a real gateway cannot be made to show: tick silence (close 4000) and reconnect backoff.
import { describe, expect, it, vi } from "vitest";
import { RECONNECT, reconnectDelay, startupRetryDelay } from "../../src/client/backoff.js";
import { type ClientStatus, GatewayClient } from "../../src/client/client.js";
import { describeClose } from "../../src/client/close-codes.js";
import { eventually } from "../helpers/eventually.js";
import { helloOk, startFakeGateway } from "./fake-server.js";

describe("backoff math", () => {
  it("startup retry waits clamp(floor(retryAfterMs ?? 500), 100, 2000)", () => {
    expect(startupRetryDelay(undefined)).toBe(500);
    expect(startupRetryDelay(499.9)).toBe(499);
    expect(startupRetryDelay(10)).toBe(100);
    expect(startupRetryDelay(60_000)).toBe(2_000);
    expect(startupRetryDelay(Number.NaN)).toBe(500);
  });

  it("reconnect waits 1 s, doubling, capped at 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => reconnectDelay(n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(RECONNECT).toEqual({ initialMs: 1_000, maxMs: 30_000 });
  });

  it("a reconnecting client schedules its attempts on that backoff (fake timers)", async () => {
    // Every connect is answered by closing the socket, so each attempt fails and the next is scheduled.
    await using fake = await startFakeGateway((ws, id, index) => {
      if (index === 0) ws.send(JSON.stringify({ type: "res", id, ok: true, payload: helloOk(60_000) }));
      else ws.close(1013, "gateway starting");
    });
    const client = await GatewayClient.connect({ url: fake.url, token: "t", reconnect: true });
    const delays: number[] = [];
    client.onStatus((s) => {
      if (s.type === "reconnecting") delays.push(s.delayMs);
    });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      fake.sockets[0]!.close(1012, "service restart");
      await eventually(() => expect(delays).toEqual([1_000]));
      for (const want of [2_000, 4_000]) {
        await vi.advanceTimersByTimeAsync(delays.at(-1)!);
        // The attempt runs on real sockets; wait for its failure to schedule the next one.
        await eventually(() => expect(delays.at(-1)).toBe(want), { timeoutMs: 3_000 });
      }
    } finally {
      vi.useRealTimers();
      await client.close();
    }
  });
});

describe("tick watchdog and reconnect (scripted fake gateway)", () => {
  it("closes 4000 after two silent tick intervals and explains it", async () => {
    await using fake = await startFakeGateway((ws, id) =>
      ws.send(JSON.stringify({ type: "res", id, ok: true, payload: helloOk(100) })),
    );
    const client = await GatewayClient.connect({ url: fake.url, token: "t" });
    const statuses: ClientStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    const t0 = Date.now();
    await eventually(() => expect(statuses[0]).toBeDefined(), { timeoutMs: 2_000 });
    const elapsed = Date.now() - t0;
    expect(statuses[0]).toMatchObject({ type: "disconnected", code: 4000, reason: "tick timeout" });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1_000);
    expect(describeClose(4000, "tick timeout")).toMatch(/no tick from the gateway for two tick intervals/);
    await client.close();
  });

  it("any frame keeps the watchdog quiet", async () => {
    await using fake = await startFakeGateway((ws, id) => {
      ws.send(JSON.stringify({ type: "res", id, ok: true, payload: helloOk(250) }));
      const t = setInterval(() => ws.send(JSON.stringify({ type: "event", event: "tick", payload: {} })), 50);
      ws.on("close", () => clearInterval(t));
    });
    await using client = await GatewayClient.connect({ url: fake.url, token: "t" });
    // The behaviour under test: no close across six tick intervals (250 ms) of frames every 50 ms.
    // The margin (the watchdog allows two silent intervals, 500 ms) absorbs a loaded CI machine.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(client.connected).toBe(true);
  });

  it("reconnects after a drop, reports each step, and reports a seq gap", async () => {
    await using fake = await startFakeGateway((ws, id) =>
      ws.send(JSON.stringify({ type: "res", id, ok: true, payload: helloOk(60_000) })),
    );
    await using client = await GatewayClient.connect({
      url: fake.url,
      token: "t",
      reconnect: { initialMs: 50, maxMs: 200 },
    });
    const statuses: ClientStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    fake.sockets[0]!.close(1012, "service restart");
    await eventually(() => expect(statuses.map((s) => s.type)).toContain("connected"), { timeoutMs: 3_000 });
    expect(statuses.slice(0, 3)).toMatchObject([
      { type: "disconnected", code: 1012, willReconnect: true },
      { type: "reconnecting", attempt: 1, delayMs: 50 },
      { type: "connected" },
    ]);
    expect(fake.sockets).toHaveLength(2);
    const event = (seq: number) => JSON.stringify({ type: "event", event: "presence", payload: {}, seq });
    fake.sockets[1]!.send(event(1));
    fake.sockets[1]!.send(event(4));
    await eventually(() => expect(statuses.at(-1)).toMatchObject({ type: "gap", expected: 2, received: 4 }));
  });

  it("stops reconnecting when the gateway refuses the credentials", async () => {
    await using fake = await startFakeGateway((ws, id, index) => {
      if (index === 0) ws.send(JSON.stringify({ type: "res", id, ok: true, payload: helloOk(60_000) }));
      else {
        const error = {
          code: "INVALID_REQUEST",
          message: "unauthorized",
          details: { code: "AUTH_TOKEN_MISMATCH" },
        };
        ws.send(JSON.stringify({ type: "res", id, ok: false, error }));
        ws.close(1008, "unauthorized");
      }
    });
    const client = await GatewayClient.connect({ url: fake.url, token: "t", reconnect: { initialMs: 20 } });
    const statuses: ClientStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    fake.sockets[0]!.close(1012, "service restart");
    await eventually(() => expect(statuses.at(-1)?.type).toBe("closed"), { timeoutMs: 3_000 });
    expect(statuses.at(-1)).toMatchObject({ error: { detailCode: "AUTH_TOKEN_MISMATCH" } });
    // Nothing more happens: ten reconnect delays (20 ms) pass without another attempt.
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.sockets).toHaveLength(2);
    await client.close();
  });
});
