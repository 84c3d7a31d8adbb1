// usage.cost against a real gateway: each run's tokens recorded at its end, priced by the model's
// configured cost, in the reference's shape, and still there after a restart on the same state dir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { start } from "../../src/server/start.js";
import { openSqlite } from "../../src/sessions/driver.js";
import { SESSIONS_FILE } from "../../src/sessions/sqlite.js";
import { type FakeOpenAI, startFakeOpenAI, step } from "../fixtures/fake-openai.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { exchange, shapeGaps } from "../helpers/recorded.js";
import { openClient } from "../helpers/ws.js";

let vendor: FakeOpenAI;
let stateDir: string;
beforeAll(async () => {
  vendor = await startFakeOpenAI();
  stateDir = mkdtempSync(join(tmpdir(), "keel-usage-cost-"));
});
afterAll(async () => {
  await vendor.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function gateway() {
  const raw = {
    gateway: { port: 0, auth: { mode: "token", token: TEST_TOKEN } },
    models: {
      providers: {
        priced: {
          baseUrl: vendor.url,
          models: [{ id: "m", cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } }],
        },
        free: { baseUrl: vendor.url, models: [{ id: "local" }] },
      },
    },
    agents: { defaults: { model: "priced/m" }, entries: { ops: { model: "free/local" } } },
    runs: { deltaThrottleMs: 0 },
  };
  const loaded = loadConfig({ path: join(stateDir, "keel.json"), raw, env: {} });
  const handle = await start({ config: loaded.config, stateDir, loaded });
  await handle.ready;
  return handle;
}

async function turn(url: string, sessionKey: string, runId: string) {
  await using s = await openClient(url);
  await s.request("chat.send", { sessionKey, message: "hi", idempotencyKey: runId });
  const end = await s.next(
    (f) => f.event === "chat" && f.payload.runId === runId && f.payload.state === "final",
  );
  return end.payload;
}

describe("usage.cost", () => {
  it("sums each run's tokens per day, prices them by models[].cost, and keeps them across a restart", async () => {
    vendor.setScript([
      step.reply("one", {
        usage: {
          prompt_tokens: 1_000,
          completion_tokens: 200,
          prompt_tokens_details: { cached_tokens: 400 },
        },
      }),
      step.reply("two", { usage: { prompt_tokens: 2_000, completion_tokens: 100 } }),
      step.reply("three", { usage: { prompt_tokens: 50, completion_tokens: 10 } }),
    ]);
    const ref = exchange("gateway_usage-cost", "usage.cost");
    const one = await gateway();
    try {
      await turn(one.wsUrl, "main", "u-1");
      await turn(one.wsUrl, "main", "u-2");
      await turn(one.wsUrl, "agent:ops:main", "u-3");
    } finally {
      await one.close("restart");
    }
    // One row per run, written durably at its end.
    const db = openSqlite(join(stateDir, SESSIONS_FILE), { readonly: true });
    const rows = db
      .prepare("SELECT run_id, agent_id, provider, model FROM usage_records ORDER BY run_id")
      .all();
    db.close();
    expect(rows).toEqual([
      { run_id: "u-1", agent_id: "main", provider: "priced", model: "m" },
      { run_id: "u-2", agent_id: "main", provider: "priced", model: "m" },
      { run_id: "u-3", agent_id: "ops", provider: "free", model: "local" },
    ]);

    const two = await gateway();
    try {
      await using s = await openClient(two.wsUrl, { scopes: ["operator.read"] });
      const res = await s.request("usage.cost", ref.params);
      expect(res.ok).toBe(true);
      const p = res.payload;
      expect(shapeGaps(ref.res.payload, p, 3)).toEqual([]);
      expect(p.days).toBe(30);
      expect(p.daily).toHaveLength(30);
      expect(p.daily.at(-1).date).toBe(new Date().toISOString().slice(0, 10));
      // The 400 cached prompt tokens are cacheRead, priced at its rate, not input as well.
      const t = p.totals;
      expect([t.input, t.cacheRead]).toEqual([2_650, 400]);
      expect(t.output).toBe(310);
      expect(t.totalTokens).toBe(t.input + t.output + t.cacheRead + t.cacheWrite);
      expect(t.missingCostEntries).toBe(1);
      const priced = p.byModel.find((m: any) => m.provider === "priced");
      const expected = (priced.input * 3 + priced.output * 15 + priced.cacheRead * 0.3) / 1e6;
      expect(priced).toMatchObject({ model: "m", runs: 2, output: 300, missingCostEntries: 0 });
      expect(priced.totalCost).toBeCloseTo(expected, 12);
      expect(t.totalCost).toBeCloseTo(expected, 12);
      expect(p.daily.at(-1).totalCost).toBeCloseTo(expected, 12);
      expect(p.byAgent.map((a: any) => [a.agentId, a.runs])).toEqual([
        ["main", 2],
        ["ops", 1],
      ]);
      const ops = await s.request("usage.cost", { days: 1, sessionKey: "agent:ops:main" });
      expect(ops.payload.totals).toMatchObject({
        input: 50,
        output: 10,
        totalCost: 0,
        missingCostEntries: 1,
      });
      const range = await s.request("usage.cost", { startDate: "2020-01-01", endDate: "2020-01-03" });
      expect(range.payload.daily.map((d: any) => d.date)).toEqual(["2020-01-01", "2020-01-02", "2020-01-03"]);
      expect(range.payload.totals.totalTokens).toBe(0);
      const bad = await s.request("usage.cost", { startDate: "2020-01-03", endDate: "2020-01-01" });
      expect(bad.error).toMatchObject({ code: "INVALID_REQUEST" });
    } finally {
      await two.close("test done");
    }
  });
});
