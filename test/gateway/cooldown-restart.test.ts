// Cooldowns across a gateway restart: a provider cooled by a 429 stays cooled on the same state dir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { start } from "../../src/server/start.js";
import { type FakeOpenAI, startFakeOpenAI, step } from "../fixtures/fake-openai.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { openClient } from "../helpers/ws.js";

let primary: FakeOpenAI;
let fallback: FakeOpenAI;
let stateDir: string;
beforeAll(async () => {
  [primary, fallback] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  stateDir = mkdtempSync(join(tmpdir(), "keel-cooldown-restart-"));
});
afterAll(async () => {
  await Promise.all([primary.close(), fallback.close()]);
  rmSync(stateDir, { recursive: true, force: true });
});

async function gateway() {
  const raw = {
    gateway: { port: 0, auth: { mode: "token", token: TEST_TOKEN } },
    models: {
      providers: {
        a: { baseUrl: primary.url, apiKey: "sk-a", models: [{ id: "m" }] },
        b: { baseUrl: fallback.url, apiKey: "sk-b", models: [{ id: "m" }] },
      },
    },
    agents: { defaults: { model: { primary: "a/m", fallbacks: ["b/m"] } } },
    runs: { deltaThrottleMs: 0 },
  };
  const loaded = loadConfig({ path: join(stateDir, "keel.json"), raw, env: {} });
  const handle = await start({ config: loaded.config, stateDir, loaded });
  await handle.ready;
  return handle;
}

async function turn(url: string, message: string) {
  await using s = await openClient(url);
  await s.request("chat.send", { sessionKey: "main", message, idempotencyKey: message });
  const end = await s.next((f) => f.event === "chat" && ["final", "error"].includes(f.payload.state), 10_000);
  return end.payload;
}

describe("cooldowns across a restart", () => {
  it("a 429-cooled primary gets no request after the restart; the fallback serves the turns", async () => {
    primary.setScript([step.status(429, { error: { message: "slow down" } }, { "retry-after": "120" })]);
    fallback.setScript(() => step.reply("from the fallback"));
    const one = await gateway();
    try {
      expect((await turn(one.wsUrl, "first")).state).toBe("final");
      expect(primary.requests).toHaveLength(1);
    } finally {
      await one.close("restart");
    }
    const two = await gateway();
    try {
      for (const m of ["second", "third"]) {
        const end = await turn(two.wsUrl, m);
        expect([end.state, end.message.content[0].text]).toEqual(["final", "from the fallback"]);
      }
      expect(primary.requests).toHaveLength(1);
      expect(fallback.requests).toHaveLength(3);
      await using s = await openClient(two.wsUrl);
      const rows = (await s.request("models.list", {})).payload.models;
      expect(rows.map((r: { provider: string; state: string }) => [r.provider, r.state])).toEqual([
        ["a", "cooling"],
        ["b", "ok"],
      ]);
      expect(rows[0].cooldowns).toEqual([
        {
          scope: "credential_model",
          provider: "a",
          credential: "a:default",
          model: "m",
          state: "cooling",
          kind: "rate_limit",
          until: expect.any(String),
        },
      ]);
      const status = (await s.request("status", {})).payload;
      expect(status.cooldowns).toEqual(rows[0].cooldowns);
      expect(JSON.stringify(status)).not.toContain("sk-a");
    } finally {
      await two.close("test done");
    }
  });
});
