// Exhaustion: half-sent HTTP requests time out and are capped (total and per address), oldest first.
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { ClientAddresses } from "../../src/server/address.js";
import { readFdLimit, socketBudget } from "../../src/server/admission.js";
import { startGateway } from "../helpers/gateway.js";
import { openClient } from "../helpers/ws.js";

/** A socket that sends an upgrade request without the final blank line, and when it closed. */
async function halfSent(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  // Read (and drop) what comes back, or the server's FIN is never seen.
  socket.resume();
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
  return { socket, closed };
}

const isClosed = (p: Promise<void>) => Promise.race([p.then(() => true), Promise.resolve(false)]);

describe("half-sent requests", () => {
  it("are closed after gateway.http.headersTimeoutMs, not Node's minute", async () => {
    await using gw = await startGateway({ config: { gateway: { http: { headersTimeoutMs: 1_000 } } } });
    const { closed } = await halfSent(gw.handle.port);
    // Bounded well under Node's own default (60 s): the socket is closed by the gateway.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), 10_000)));
    expect(await Promise.race([closed.then(() => "closed"), timeout])).toBe("closed");
    clearTimeout(timer);
  });

  it("past maxPendingPerAddress the address's oldest half-sent socket is closed; probes and clients still get in", async () => {
    await using gw = await startGateway({
      config: { gateway: { http: { maxPendingPerAddress: 5, maxPendingSockets: 1_000 } } },
    });
    const port = gw.handle.port;
    const held = [];
    for (let i = 0; i < 12; i++) held.push(await halfSent(port));
    try {
      // Each new socket pushed out the oldest: the first seven are gone, the newest five wait.
      for (const h of held.slice(0, 7)) await h.closed;
      for (const h of held.slice(7)) expect(await isClosed(h.closed)).toBe(false);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      await using s = await openClient(gw.url);
      expect((await s.request("health")).ok).toBe(true);
    } finally {
      for (const h of held) h.socket.destroy();
    }
  });

  it("a trusted proxy's sockets are exempt from the per-address cap (they carry many clients); the total still holds", async () => {
    await using gw = await startGateway({
      config: {
        gateway: { trustedProxies: ["127.0.0.1"], http: { maxPendingPerAddress: 2, maxPendingSockets: 4 } },
      },
    });
    const held = [];
    for (let i = 0; i < 5; i++) held.push(await halfSent(gw.handle.port));
    try {
      await held[0]!.closed;
      for (const h of held.slice(1)) expect(await isClosed(h.closed)).toBe(false);
    } finally {
      for (const h of held) h.socket.destroy();
    }
  });

  it("past maxPendingSockets the oldest overall goes", async () => {
    await using gw = await startGateway({
      config: { gateway: { http: { maxPendingSockets: 3, maxPendingPerAddress: 1_000 } } },
    });
    const held = [];
    for (let i = 0; i < 5; i++) held.push(await halfSent(gw.handle.port));
    try {
      await held[0]!.closed;
      await held[1]!.closed;
      expect(await isClosed(held[4]!.closed)).toBe(false);
    } finally {
      for (const h of held) h.socket.destroy();
    }
  });
});

describe("fd budget", () => {
  it("reads the soft open-files limit from /proc/self/limits, and leaves the reserve free", () => {
    const limit = readFdLimit();
    if (process.platform === "linux") expect(limit === undefined || limit > 0).toBe(true);
    expect(readFdLimit("/nonexistent/limits")).toBeUndefined();
    expect(socketBudget(1_024, 128, 30)).toBe(866);
    expect(socketBudget(100, 128, 30)).toBe(1);
  });
});

describe("trusted proxies", () => {
  const req = (peer: string, xff?: string | string[]) => ({
    socket: { remoteAddress: peer } as Socket,
    headers: xff === undefined ? {} : { "x-forwarded-for": xff },
  });

  it("takes X-Forwarded-For's right-most untrusted hop only from a trusted peer", () => {
    const a = new ClientAddresses(["10.0.0.0/8", "::1"]);
    expect(a.of(req("10.1.2.3", "203.0.113.7"))).toBe("203.0.113.7");
    // Left entries are the client's own claims; the proxy appended the real one last.
    expect(a.of(req("10.1.2.3", "1.1.1.1, 203.0.113.7"))).toBe("203.0.113.7");
    expect(a.of(req("10.1.2.3", "203.0.113.7, 10.9.9.9"))).toBe("203.0.113.7");
    expect(a.of(req("::1", ["198.51.100.1", "10.0.0.1"]))).toBe("198.51.100.1");
    expect(a.of(req("::ffff:10.0.0.5", "garbage"))).toBe("10.0.0.5");
    // An untrusted peer names itself, whatever it writes.
    expect(a.of(req("192.0.2.1", "203.0.113.7"))).toBe("192.0.2.1");
    expect(new ClientAddresses([]).of(req("127.0.0.1", "203.0.113.7"))).toBe("127.0.0.1");
    expect(() => new ClientAddresses(["nope/8"])).toThrow(/trustedProxies/);
  });
});
