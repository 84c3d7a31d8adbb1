// Exchange: one provider request over undici's dispatch API, against a real loopback server.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "undici";
import { Exchange } from "../../src/models/exchange.js";
import { eventually } from "../helpers/eventually.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ connections: 1 });
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await agent.close();
  };
  return { origin, agent, close };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const post = (origin: string) => ({ origin, path: "/x", method: "POST" as const, body: "{}" });

describe("Exchange", () => {
  it("pauses the socket while the reader lags, and still hands over every byte in order", async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const chunks = 512; // 32 MiB
    let accepted = 0;
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      let sent = 0;
      const more = () => {
        while (sent < chunks) {
          sent++;
          const ok = res.write(chunk, () => (accepted += chunk.length));
          if (!ok) return void res.once("drain", more);
        }
        res.end();
      };
      more();
    });
    cleanup = s.close;
    const ex = new Exchange(s.agent, post(s.origin));
    await ex.response();
    // Nothing read for a while: without the pause undici would pull all 32 MiB into the queue
    // within milliseconds; paused, the vendor is held at the queue's mark plus socket buffers.
    await new Promise((r) => setTimeout(r, 300));
    expect(accepted).toBeLessThan(16 * 1024 * 1024);
    let total = 0;
    for (let c = await ex.read(); c !== null; c = await ex.read()) total += c.length;
    expect(total).toBe(chunks * chunk.length);
    expect(ex.done).toBe(true);
  });

  it("release after the end marker drains a short rest into the pool; a long rest is cut", async () => {
    let closed = 0;
    const sockets = new Set<unknown>();
    const rest = { bytes: 10 };
    const s = await serve((req, res) => {
      if (!sockets.has(req.socket)) req.socket.once("close", () => closed++);
      sockets.add(req.socket);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: [DONE]\n\n");
      setTimeout(() => res.end(Buffer.alloc(rest.bytes)), 20);
    });
    cleanup = s.close;
    const short = new Exchange(s.agent, post(s.origin));
    await short.response();
    await short.read();
    short.release(true, 1024);
    const next = new Exchange(s.agent, post(s.origin));
    await next.response();
    await next.read();
    rest.bytes = 1024 * 1024;
    next.release(true, 1024);
    // The first socket carried the second request; the megabyte after [DONE] closed it.
    await eventually(() => expect(closed).toBe(1));
    expect(sockets.size).toBe(1);
  });

  it("an abort before the answer throws its reason, and the vendor sees the connection close", async () => {
    let closed = false;
    const s = await serve((req) => {
      req.socket.once("close", () => (closed = true));
    });
    cleanup = s.close;
    const ex = new Exchange(s.agent, post(s.origin));
    setTimeout(() => ex.abort(new Error("caller left")), 20);
    await expect(ex.response()).rejects.toThrow("caller left");
    await eventually(() => expect(closed).toBe(true));
  });

  it("an abort after the whole body arrived still reaches the reader: what was queued is dropped", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
      setTimeout(() => res.end("data: two\n\n"), 20);
    });
    cleanup = s.close;
    const ex = new Exchange(s.agent, post(s.origin));
    await ex.response();
    expect(String(await ex.read())).toBe("data: one\n\n");
    // Let the rest arrive and the response end before the caller gives up.
    await new Promise((r) => setTimeout(r, 100));
    ex.abort(new Error("caller left"));
    await expect(ex.read()).rejects.toThrow("caller left");
  });

  it("release without the end marker aborts: the vendor sees the connection close", async () => {
    let closed = false;
    const s = await serve((req, res) => {
      req.socket.once("close", () => (closed = true));
      res.writeHead(200);
      res.write("partial");
    });
    cleanup = s.close;
    const ex = new Exchange(s.agent, post(s.origin));
    await ex.response();
    expect(String(await ex.read())).toBe("partial");
    ex.release(false, 1024);
    await eventually(() => expect(closed).toBe(true));
    await expect(ex.read()).rejects.toThrow("the caller stopped reading");
  });
});
