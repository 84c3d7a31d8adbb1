// Exhaustion: clients that never read cannot pin more than gateway.maxBufferedBytesTotal; the slowest go first.
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { connectFrame, openClient } from "../helpers/ws.js";

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

/** Upgrades, sends `connect`, reads until hello-ok, then never reads again. */
async function nonReader(port: number): Promise<Socket> {
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
        socket.pause();
        resolve();
      }
    };
    socket.on("data", onData);
  });
  return socket;
}

describe("global send budget", () => {
  it("three clients that stop reading during a long stream are closed slowest first; a reading client is not", async () => {
    let logged = "";
    const logger = pino(
      { level: "warn" },
      new Writable({
        write(chunk, _enc, cb) {
          logged += chunk;
          cb();
        },
      }),
    );
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
      await eventually(() => logged.includes("gateway.maxBufferedBytesTotal"), {
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
