// The provider transport's connection cap and outbound proxy, seen from a fake vendor's side.
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { OpenAICompletionsProvider } from "../../src/models/openai-completions.js";
import { ProviderTransport, type TransportOptions } from "../../src/models/transport.js";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { collect } from "./contract.js";

const provider = (baseUrl: string, options: Partial<TransportOptions>) =>
  new OpenAICompletionsProvider(
    "fake",
    { baseUrl },
    [{ id: "fake:default", apiKey: undefined }],
    new ProviderTransport("fake", {
      timeoutSeconds: 30,
      connectTimeoutMs: 10_000,
      maxConnections: 64,
      ...options,
    }),
  );

describe("provider connection pool", () => {
  it("maxConnections 2: ten concurrent streams share two sockets and all finish", async () => {
    // Each reply is held a moment (chunks 30 ms apart), so the streams overlap and must queue.
    await using fake = await startFakeOpenAI({
      script: () => ({ type: "reply", chunks: ["a", "b", "c"], delayMs: 30 }),
    });
    // Time spent queued on the pool counts toward connectTimeoutMs (the connect watchdog is armed
    // from the request's start until its headers), hence a deadline well above 10 × 60 ms / 2.
    const p = provider(fake.url, { maxConnections: 2 });
    const results = await Promise.all(Array.from({ length: 10 }, () => collect(p)));
    expect(results.map((r) => r.error)).toEqual(Array(10).fill(undefined));
    expect(results.map((r) => r.text)).toEqual(Array(10).fill("abc"));
    expect(fake.requestCount).toBe(10);
    expect(fake.peakSockets).toBeLessThanOrEqual(2);
    expect(new Set(fake.requests.map((r) => r.remotePort)).size).toBeLessThanOrEqual(2);
  });
});

/** A loopback forward proxy that tunnels CONNECT (what undici's proxy agent sends) and records targets. */
async function startConnectProxy(): Promise<{ url: string; targets: string[]; close(): Promise<void> }> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on("connect", (req, client: Socket) => {
    targets.push(req.url ?? "");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host!, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => s.destroy());
      s.on("close", () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("outbound proxy", () => {
  it("an http proxy carries the provider's requests; noProxy bypasses it", async () => {
    await using fake = await startFakeOpenAI({ script: () => ({ type: "reply", text: "via proxy" }) });
    const proxy = await startConnectProxy();
    try {
      const vendor = new URL(fake.url).host;
      // noProxy "" rather than unset: the agent would otherwise read NO_PROXY from the test's environment.
      const proxied = provider(fake.url, { proxy: { httpProxy: proxy.url, noProxy: "" } });
      expect((await collect(proxied)).text).toBe("via proxy");
      expect(proxy.targets).toEqual([vendor]);
      const bypassed = provider(fake.url, { proxy: { httpProxy: proxy.url, noProxy: "127.0.0.1" } });
      expect((await collect(bypassed)).text).toBe("via proxy");
      expect(proxy.targets).toEqual([vendor]);
      expect(fake.requestCount).toBe(2);
    } finally {
      await proxy.close();
    }
  });
});
