// Exhaustion: clients that never read cannot pin more than gateway.maxBufferedBytesTotal; the slowest go first.
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { eventually } from "../helpers/eventually.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { connectFrame, openClient } from "../helpers/ws.js";

/** A logger at `level` whose lines are kept in memory, and what it wrote so far. */
function captureLogs(level: string) {
  let text = "";
  const logger = pino(
    { level },
    new Writable({
      write(chunk, _enc, cb) {
        text += chunk;
        cb();
      },
    }),
  );
  return { logger, logged: () => text };
}

/** One masked client text frame (RFC 6455 §5.2), for a client that writes by hand and then stops reading. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const head =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, masked]);
}

/** Upgrades, sends `connect`, reads until hello-ok, then never reads again (`keepReading`: reads on). */
async function nonReader(port: number, keepReading = false): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  let seen = "";
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      seen += d.toString("latin1");
      if (seen.includes("connect.challenge") && !seen.includes("sent-connect")) {
        seen += "sent-connect";
        socket.write(textFrame(JSON.stringify(connectFrame({ auth: { token: TEST_TOKEN } }))));
      }
      if (seen.includes('"hello-ok"')) {
        socket.off("data", onData);
        if (keepReading) socket.on("data", () => {});
        else socket.pause();
        resolve();
      }
    };
    socket.on("data", onData);
  });
  return socket;
}

describe("memory after slow consumers", () => {
  it("a client closed for not reading (its own budget) hands its memory back once it is gone", async () => {
    const { logger, logged } = captureLogs("debug");
    await using gw = await gatewayWithFakeVendor([], {
      config: { gateway: { maxBufferedBytes: 64 * 1024 } },
      start: { logger },
    });
    const slow = await nonReader(gw.port);
    try {
      const bus = gw.handle.context.events;
      const blob = "x".repeat(256 * 1024);
      // Non-droppable events past its 64 KiB budget close it 1008 "slow consumer".
      await eventually(
        () => {
          bus.broadcast("test.blob", { blob });
          return gw.handle.context.connections.count() === 0;
        },
        { timeoutMs: 20_000, message: "the slow consumer to be closed" },
      );
      await eventually(() => logged().includes("memory released after slow consumers were closed"), {
        message: "the memory release after the close",
      });
    } finally {
      slow.destroy();
    }
  });
});

describe("global send budget", () => {
  it("past the total, the connection holding the most unsent bytes goes first, and only as many as needed", async () => {
    await using gw = await gatewayWithFakeVendor([], {
      config: { gateway: { maxBufferedBytes: 512 * 1024 * 1024, maxBufferedBytesTotal: 512 * 1024 * 1024 } },
    });
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => nonReader(gw.port, true)));
    const closed = new Set<string>();
    a!.once("close", () => closed.add("a"));
    b!.once("close", () => closed.add("b"));
    c!.once("close", () => closed.add("c"));
    try {
      const bus = gw.handle.context.events;
      const blob = "x".repeat(256 * 1024);
      const buffered = () => gw.handle.context.connections.bufferedBytes();
      // Yields after each blob so the clients still reading take theirs, then waits until the
      // queues stop moving: what is left queued belongs to the paused ones.
      const send = async (mib: number) => {
        for (let i = 0; i < mib * 4; i++) {
          bus.broadcast("test.blob", { blob });
          await new Promise((r) => setImmediate(r));
        }
        let last = -1;
        await eventually(
          async () => {
            await new Promise((r) => setTimeout(r, 50));
            const now = buffered();
            const still = now === last;
            last = now;
            return still;
          },
          { timeoutMs: 20_000, message: "the reading clients to drain" },
        );
      };
      // a stops reading first and gets the most queued, then b, then c the least.
      a!.pause();
      await send(24);
      b!.pause();
      await send(12);
      c!.pause();
      await send(6);
      const total = buffered();
      expect(total).toBeGreaterThan(40 * 1024 * 1024);
      // Half the total: closing a alone is enough; closing the smallest first would close all three.
      const raw = structuredClone(gw.config) as Record<string, any>;
      raw["gateway"] = { ...raw["gateway"], maxBufferedBytesTotal: Math.floor(total / 2) };
      gw.handle.config.swap(loadConfig({ path: "/nonexistent", env: {}, raw }).config);
      bus.broadcast("test.blob", { blob: "y" });
      await eventually(() => gw.handle.context.connections.count() === 2, {
        message: "the total budget to close a connection",
      });
      expect(buffered()).toBeLessThanOrEqual(Math.floor(total / 2));
      // Which one: a sees its socket closed; b and c drain and still get the next event.
      const marker = (sock: Socket) =>
        new Promise<void>((resolve) => {
          let tail = "";
          sock.on("data", (d: Buffer) => {
            tail = (tail + d.toString("latin1")).slice(-64);
            if (tail.includes("test.marker")) resolve();
          });
        });
      const seen = [marker(b!), marker(c!)];
      for (const sock of [a, b, c]) sock!.resume();
      await eventually(() => closed.has("a"), { message: "the slowest consumer's socket to close" });
      bus.broadcast("test.marker", {});
      await Promise.all(seen);
      expect([...closed]).toEqual(["a"]);
    } finally {
      for (const s of [a, b, c]) s!.destroy();
    }
  }, 60_000);

  it("three clients that stop reading during a long stream are closed slowest first; a reading client is not", async () => {
    const { logger, logged } = captureLogs("warn");
    const chunks = Array.from({ length: 400 }, (_, i) => `${i}:${"x".repeat(400)} `);
    await using gw = await gatewayWithFakeVendor([{ type: "reply", chunks, delayMs: 2 }], {
      // Per socket the budget is out of reach: only the total can close anyone here.
      config: { gateway: { maxBufferedBytes: 512 * 1024 * 1024, maxBufferedBytesTotal: 2 * 1024 * 1024 } },
      start: { logger },
    });
    const slow = await Promise.all([1, 2, 3].map(() => nonReader(gw.port)));
    try {
      await using reader = await openClient(gw.url);
      const sent = await reader.request("chat.send", {
        sessionKey: "main",
        message: "go",
        idempotencyKey: "k1",
      });
      expect(sent.ok).toBe(true);
      await eventually(() => logged().includes("gateway.maxBufferedBytesTotal"), {
        timeoutMs: 20_000,
        message: "the total send budget to shed a slow consumer",
      });
      const final = await reader.next((f) => f.event === "chat" && f.payload.state === "final", 30_000);
      expect(final.payload.message.content[0].text.length).toBeGreaterThan(100_000);
      const presence = (await reader.request("system-presence")).payload as unknown[];
      // Self, the reader, and at most two of the three that stopped reading.
      expect(presence.length).toBeLessThanOrEqual(4);
      expect(gw.handle.context.connections.count()).toBeLessThanOrEqual(3);
    } finally {
      for (const s of slow) s.destroy();
    }
  }, 60_000);
});
