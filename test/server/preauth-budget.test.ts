// Exhaustion: sockets before connect have their own budget; the oldest goes, never an authenticated one.
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { releaseAfterShed, ShedLog } from "../../src/server/shedding.js";
import { eventually } from "../helpers/eventually.js";
import { startGateway } from "../helpers/gateway.js";
import { openClient, TestSocket } from "../helpers/ws.js";

/** Opens `n` sockets that get the challenge and never send connect. */
async function idle(url: string, n: number): Promise<TestSocket[]> {
  const out: TestSocket[] = [];
  for (let i = 0; i < n; i++) {
    const s = await TestSocket.open(url);
    await s.event("connect.challenge");
    out.push(s);
  }
  return out;
}

describe("pre-auth budget", () => {
  it("idle upgrades past maxConnections no longer lock a legitimate client out", async () => {
    await using gw = await startGateway({ config: { gateway: { maxConnections: 20 } } });
    const squatters = await idle(gw.url, 40);
    try {
      await using s = await openClient(gw.url);
      expect((await s.request("health")).ok).toBe(true);
    } finally {
      for (const q of squatters) await q[Symbol.asyncDispose]();
    }
  });

  it("past maxPerAddress the address's oldest pre-auth socket is closed 1013; authenticated ones never are", async () => {
    await using gw = await startGateway({
      config: { gateway: { preAuth: { maxConnections: 100, maxPerAddress: 4 } } },
    });
    const authed = await Promise.all([1, 2, 3].map(() => openClient(gw.url)));
    const first = await idle(gw.url, 4);
    const more = await idle(gw.url, 3);
    try {
      // The three oldest made room for the three newest, in order.
      for (const old of first.slice(0, 3)) {
        expect(await old.closed).toEqual({ code: 1013, reason: "too many unauthenticated sockets" });
      }
      // The budget is full (4 idle sockets) and an authenticated client still gets in.
      await using late = await openClient(gw.url);
      expect((await late.request("health")).ok).toBe(true);
      for (const a of authed) expect((await a.request("health")).ok).toBe(true);
      // The newest idle sockets are still open, waiting for their connect.
      expect((await more[2]!.connect()).ok).toBe(true);
    } finally {
      for (const s of [...authed, ...first, ...more]) await s[Symbol.asyncDispose]();
    }
  });

  it("past the total the oldest pre-auth socket overall goes", async () => {
    await using gw = await startGateway({
      config: { gateway: { preAuth: { maxConnections: 3, maxPerAddress: 100 } } },
    });
    const sockets = await idle(gw.url, 5);
    try {
      expect((await sockets[0]!.closed).code).toBe(1013);
      expect((await sockets[1]!.closed).code).toBe(1013);
      expect((await sockets[4]!.connect()).ok).toBe(true);
    } finally {
      for (const s of sockets) await s[Symbol.asyncDispose]();
    }
  });

  it("the defaults let six sockets connect at once from one address (status --all)", async () => {
    await using gw = await startGateway();
    const six = await Promise.all(Array.from({ length: 6 }, () => TestSocket.open(gw.url)));
    try {
      const res = await Promise.all(six.map((s) => s.connect()));
      expect(res.map((r) => r.ok)).toEqual([true, true, true, true, true, true]);
    } finally {
      for (const s of six) await s[Symbol.asyncDispose]();
    }
  });
});

describe("shed log", () => {
  it("logs at most one line per minute while shedding, with the counts since the last", () => {
    const lines: { shed: Record<string, number>; msg: string }[] = [];
    const logger = pino(
      { level: "warn" },
      new Writable({
        write(chunk, _enc, cb) {
          for (const l of String(chunk).trim().split("\n")) lines.push(JSON.parse(l));
          cb();
        },
      }),
    );
    let now = 1_000_000;
    const log = new ShedLog(logger, () => now);
    for (let i = 0; i < 1_000; i++) log.note("gateway.preAuth.maxPerAddress");
    now += 59_999;
    log.note("gateway.http.maxPendingSockets");
    expect(lines).toHaveLength(1);
    now += 1;
    log.note("gateway.http.maxPendingSockets");
    expect(lines).toHaveLength(2);
    expect(lines[0]!.shed).toEqual({ "gateway.preAuth.maxPerAddress": 1 });
    expect(lines[1]!.shed).toEqual({
      "gateway.preAuth.maxPerAddress": 999,
      "gateway.http.maxPendingSockets": 2,
    });
    expect(lines[1]!.msg).toMatch(/^shedding sockets: 999 by gateway.preAuth.maxPerAddress, 2 by/);
  });
});

describe("memory release after a shed", () => {
  it("a burst of sheds shares one release, and a later burst gets its own", async () => {
    let releases = 0;
    const release = releaseAfterShed(20, () => (releases += 1));
    for (let i = 0; i < 50; i++) release();
    await eventually(() => releases === 1, { message: "the first release" });
    release();
    await eventually(() => releases === 2, { message: "the second release" });
  });
});
