import { randomBytes } from "node:crypto";
import { connect as netConnect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.js";
import { startGateway } from "../helpers/gateway.js";
import { openClient, TestSocket } from "../helpers/ws.js";

/** Does the HTTP upgrade by hand and returns the raw socket plus everything it has received. */
async function rawUpgrade(port: number): Promise<{ socket: Socket; received: () => Buffer }> {
  const socket = netConnect(port, "127.0.0.1");
  let data = Buffer.alloc(0);
  socket.on("data", (d) => {
    data = Buffer.concat([data, d]);
  });
  socket.on("error", () => {});
  await new Promise((r) => socket.once("connect", r));
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await eventually(() => data.includes("\r\n\r\n"), { message: "the upgrade response" });
  expect(data.toString()).toMatch(/^HTTP\/1.1 101/);
  return { socket, received: () => data };
}

/** The close code in the first server close frame (opcode 0x8) after the HTTP response, if any. */
function closeCode(bytes: Buffer): number | undefined {
  let i = bytes.indexOf("\r\n\r\n") + 4;
  while (i + 2 <= bytes.length) {
    const opcode = bytes[i]! & 0x0f;
    let len = bytes[i + 1]! & 0x7f;
    let hdr = 2;
    if (len === 126) {
      len = bytes.readUInt16BE(i + 2);
      hdr = 4;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(i + 2));
      hdr = 10;
    }
    if (opcode === 0x8) return bytes.readUInt16BE(i + hdr);
    i += hdr + len;
  }
  return undefined;
}

describe("frame size and handshake limits", () => {
  it("refuses a 1 MiB first frame with 1009", async () => {
    await using gw = await startGateway();
    await using s = await TestSocket.open(gw.url);
    s.send(
      JSON.stringify({ type: "req", id: "1", method: "connect", params: { pad: "x".repeat(1024 * 1024) } }),
    );
    expect((await s.closed).code).toBe(1009);
  });

  it("decides on the frame header: a pre-auth frame announcing 1 MiB is refused before any payload arrives", async () => {
    await using gw = await startGateway();
    const { socket, received } = await rawUpgrade(gw.handle.port);
    try {
      // FIN + text, masked, 64-bit length = 1 MiB, mask key; no payload bytes follow.
      const header = Buffer.alloc(14);
      header[0] = 0x81;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(1024 * 1024), 2);
      randomBytes(4).copy(header, 10);
      socket.write(header);
      // Had the server waited to buffer the 1 MiB payload, no close frame could have come.
      await eventually(() => expect(closeCode(received())).toBe(1009), {
        timeoutMs: 3_000,
        message: "a close frame",
      });
    } finally {
      socket.destroy();
    }
  });

  it("after connect, frames up to policy.maxPayload are accepted", async () => {
    await using gw = await startGateway({ config: { gateway: { maxPayload: 256 * 1024 } } });
    await using s = await openClient(gw.url);
    // 100 KiB: over the pre-auth cap, under maxPayload. The request fails validation, not the socket.
    const res = await s.request("health", { pad: "x".repeat(100 * 1024) });
    expect(res.error.message).toContain("invalid health params: at root: unexpected property 'pad'");
    s.send(
      JSON.stringify({ type: "req", id: "big", method: "health", params: { pad: "x".repeat(300 * 1024) } }),
    );
    expect((await s.closed).code).toBe(1009);
  });

  it("closes a silent socket at the configured handshake timeout with a printable reason", async () => {
    await using gw = await startGateway({ config: { gateway: { handshakeTimeoutMs: 1_000 } } });
    await using s = await TestSocket.open(gw.url);
    const t0 = Date.now();
    const closed = await s.closed;
    const elapsed = Date.now() - t0;
    expect(closed).toEqual({ code: 1008, reason: "handshake timeout after 1000 ms" });
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2_500);
    expect(s.frames[0].event).toBe("connect.challenge");
  });

  it("uses KEEL_HANDSHAKE_TIMEOUT_MS over the config value", async () => {
    await using gw = await startGateway({
      config: { gateway: { handshakeTimeoutMs: 30_000 } },
      env: { KEEL_HANDSHAKE_TIMEOUT_MS: "1200" },
    });
    await using s = await TestSocket.open(gw.url);
    expect(await s.closed).toEqual({ code: 1008, reason: "handshake timeout after 1200 ms" });
  });

  it("a connected client is not affected by the handshake timeout", async () => {
    await using gw = await startGateway({ config: { gateway: { handshakeTimeoutMs: 1_000 } } });
    await using s = await openClient(gw.url);
    // The behaviour under test: nothing closes it while it outlives the 1 s handshake window.
    await new Promise((r) => setTimeout(r, 1_300));
    expect((await s.request("health")).ok).toBe(true);
  });

  it("refuses sockets past maxConnections authenticated ones with HTTP 503 and accepts again once one closes", async () => {
    // Changed with the pre-auth budget: maxConnections counts authenticated connections only;
    // sockets before connect live in gateway.preAuth's own budget.
    await using gw = await startGateway({ config: { gateway: { maxConnections: 2 } } });
    await using a = await openClient(gw.url);
    await using b = await openClient(gw.url);
    await expect(TestSocket.open(gw.url)).rejects.toThrow(/503/);
    a.close();
    await a.closed;
    // The gateway frees the slot when it sees the close, a moment after the client does.
    await using c = await eventually(() => openClient(gw.url), { message: "a slot to free up" });
    expect((await c.request("health")).ok).toBe(true);
    expect((await b.request("health")).ok).toBe(true);
  });
});

describe("startup gate (listen first)", () => {
  it("answers connect with startup-sidecars and 1013 while a step is held open, then accepts", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    await using gw = await startGateway({ waitReady: false, steps: [{ name: "sidecars", run: () => held }] });
    await using early = await TestSocket.open(gw.url);
    const challenge = await early.event("connect.challenge");
    expect(challenge.payload.nonce).toEqual(expect.any(String));
    const res = await early.connect();
    expect(res.ok).toBe(false);
    expect(res.error).toEqual({
      code: "UNAVAILABLE",
      message: expect.any(String),
      retryable: true,
      retryAfterMs: 500,
      details: { reason: "startup-sidecars" },
    });
    expect(await early.closed).toEqual({ code: 1013, reason: "gateway starting" });

    release();
    await gw.handle.ready;
    await using later = await openClient(gw.url);
    const health = await later.request("health");
    expect(health.payload.startup.phase).toBe("ready");
    expect(health.payload.startup.steps.map((s: { name: string }) => s.name)).toContain("sidecars");
  });
});
