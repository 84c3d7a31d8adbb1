// The provider probe against real loopback servers: a fake vendor, a refused port, a silent server.
import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeProvider } from "../../src/models/probe.js";
import { freePort } from "../client/fake-server.js";
import { startFakeAnthropic } from "../fixtures/fake-anthropic.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai.js";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: "sk-good", models: ["alpha", "beta"] });
});
afterAll(() => fake.close());

describe("probeProvider", () => {
  it("ok: GET <baseUrl>/models with the key as Bearer and the configured headers; lists the ids", async () => {
    const r = await probeProvider({ baseUrl: `${fake.url}/`, apiKey: "sk-good", headers: { "X-Org": "k" } });
    expect(r).toMatchObject({
      state: "ok",
      status: 200,
      url: `${fake.url}/models`,
      models: ["alpha", "beta"],
    });
    const req = fake.requests.at(-1)!;
    expect(req.method).toBe("GET");
    expect(req.path).toBe("/v1/models");
    expect(req.headers["authorization"]).toBe("Bearer sk-good");
    expect(req.headers["x-org"]).toBe("k");
  });

  it("auth: a rejected key is 401 with the vendor's message", async () => {
    const r = await probeProvider({ baseUrl: fake.url, apiKey: "sk-wrong" });
    expect(r).toMatchObject({ state: "auth", status: 401, message: "HTTP 401: Incorrect API key provided." });
    const none = await probeProvider({ baseUrl: fake.url });
    expect(none.state).toBe("auth");
  });

  it("http: a wrong base path is a 404, not ok", async () => {
    const r = await probeProvider({ baseUrl: fake.url.replace(/\/v1$/, "/v2"), apiKey: "sk-good" });
    expect(r).toMatchObject({ state: "http", status: 404 });
  });

  it("refused: nothing listens on the port", async () => {
    const port = await freePort();
    const r = await probeProvider({ baseUrl: `http://127.0.0.1:${port}/v1` });
    expect(r).toMatchObject({ state: "refused", message: expect.stringMatching(/connection refused/) });
    expect(r.status).toBeUndefined();
  });

  it("timeout: a server that accepts and never answers", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const { port } = silent.address() as { port: number };
      const r = await probeProvider({ baseUrl: `http://127.0.0.1:${port}/v1` }, 200);
      expect(r).toMatchObject({ state: "timeout", message: "no answer within 200 ms" });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe("probeProvider for api anthropic-messages", () => {
  it("GET <root>/v1/models with x-api-key and anthropic-version; a /v1 baseUrl is not doubled", async () => {
    const own = await startFakeAnthropic({ apiKey: "sk-ant-good", models: ["claude-a", "claude-b"] });
    try {
      for (const baseUrl of [own.url, `${own.url}/v1/`]) {
        const r = await probeProvider({ baseUrl, apiKey: "sk-ant-good", api: "anthropic-messages" });
        expect(r).toMatchObject({
          state: "ok",
          status: 200,
          url: `${own.url}/v1/models`,
          models: ["claude-a", "claude-b"],
        });
      }
      const req = own.requests.at(-1)!;
      expect([req.method, req.path]).toEqual(["GET", "/v1/models"]);
      expect(req.headers["x-api-key"]).toBe("sk-ant-good");
      expect(req.headers["anthropic-version"]).toBe("2023-06-01");
      expect(req.headers["authorization"]).toBeUndefined();
      const bad = await probeProvider({ baseUrl: own.url, apiKey: "sk-ant-bad", api: "anthropic-messages" });
      expect(bad).toMatchObject({ state: "auth", status: 401, message: "HTTP 401: invalid x-api-key" });
    } finally {
      await own.close();
    }
  });
});
