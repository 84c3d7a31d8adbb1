// OpenAI-compatible API benchmarks, in one process: the fake vendor called directly and through
// Keel's /v1/chat/completions, interleaved, by the same keep-alive undici client. Reports the
// latency Keel adds (sequential p50/p99, 50 concurrent, streamed time to first token), the
// throughput of non-streamed requests, and RSS after 10,000 requests once finished runs expired.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Agent, request } from "undici";
import { loadConfig } from "../../src/config/load.ts";
import { start } from "../../src/server/start.ts";
import { startFakeOpenAI } from "../../test/fixtures/fake-openai.ts";
import { nowMs, stats } from "../lib.mjs";

export const name = "openai";

const TOKEN = "bench-token-0123456789";
const SEQUENTIAL = 2_000;
const CONCURRENT = 50;
const CONCURRENT_ROUNDS = 40;
const STREAMED = 1_000;
const SOAK = 10_000;
const BODY = JSON.stringify({ model: "mock-model", messages: [{ role: "user", content: "Say hello." }] });
const KEEL_BODY = BODY.replace('"mock-model"', '"keel"');
const streamed = (body) => body.replace(/}$/, ',"stream":true}');

/** One client for both targets: a keep-alive pool big enough for the concurrent rounds. */
const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000 });

async function call(url, body, auth) {
  const res = await request(url, {
    method: "POST",
    dispatcher: agent,
    headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
    body,
  });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${await res.body.text()}`);
  await res.body.text();
}

/** Time to the first content delta of a streamed request (the rest is read and dropped). */
async function firstToken(url, body, auth) {
  const t0 = nowMs();
  const res = await request(url, {
    method: "POST",
    dispatcher: agent,
    headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
    body,
  });
  let ttft;
  for await (const chunk of res.body) {
    if (ttft === undefined && chunk.toString().includes('"content":"Hello')) ttft = nowMs() - t0;
  }
  if (ttft === undefined) throw new Error(`${url}: no first token`);
  return ttft;
}

const timed = async (fn) => {
  const t0 = nowMs();
  await fn();
  return nowMs() - t0;
};

function gc() {
  setFlagsFromString("--expose-gc");
  runInNewContext("gc")();
}

async function gateway(fakeUrl) {
  const stateDir = mkdtempSync(join(tmpdir(), "keel-bench-openai-"));
  const raw = {
    gateway: {
      port: 0,
      auth: { mode: "token", token: TOKEN },
      http: { endpoints: { chatCompletions: { enabled: true } } },
    },
    models: { providers: { mock: { baseUrl: fakeUrl, apiKey: "sk-bench", models: [{ id: "mock-model" }] } } },
    agents: { defaults: { model: "mock/mock-model" } },
    // Finished records leave quickly so the soak's "after expiry" figure comes within seconds.
    runs: { maxConcurrent: 1000, finishedTtlMs: 1000, sweepIntervalMs: 500 },
  };
  const loaded = loadConfig({ path: join(stateDir, "keel.json"), raw, env: {} });
  const handle = await start({ config: loaded.config, stateDir, loaded });
  await handle.ready;
  return {
    handle,
    dispose: async () => (
      await handle.close("bench done"),
      rmSync(stateDir, { recursive: true, force: true })
    ),
  };
}

export async function run(ctx) {
  const fake = await startFakeOpenAI({ maxRecorded: 0, apiKey: "sk-bench" });
  fake.setScript(() => ({ type: "reply", chunks: ["Hello", " from", " the", " fake", " vendor."] }));
  const gw = await gateway(fake.url);
  const direct = `${fake.url}/chat/completions`;
  const keel = `${gw.handle.url}/v1/chat/completions`;
  const rows = [];
  try {
    for (let i = 0; i < 200; i++) {
      await call(direct, BODY, "sk-bench");
      await call(keel, KEEL_BODY, TOKEN);
    }
    ctx.log(`sequential: ${SEQUENTIAL} non-streamed requests each way, interleaved`);
    const d = [];
    const k = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      d.push(await timed(() => call(direct, BODY, "sk-bench")));
      k.push(await timed(() => call(keel, KEEL_BODY, TOKEN)));
    }
    const ds = stats(d);
    const ks = stats(k);
    rows.push(
      { metric: "direct p50 (sequential)", value: ds.p50, unit: "ms" },
      { metric: "through Keel p50 (sequential)", value: ks.p50, unit: "ms" },
      {
        metric: "added p50 (sequential)",
        value: ks.p50 - ds.p50,
        unit: "ms",
        target: "≤ 0.5",
        ok: ks.p50 - ds.p50 <= 0.5,
      },
      {
        metric: "added p99 (sequential)",
        value: ks.p99 - ds.p99,
        unit: "ms",
        target: "≤ 2",
        ok: ks.p99 - ds.p99 <= 2,
      },
    );

    ctx.log(`${CONCURRENT} concurrent: ${CONCURRENT_ROUNDS} rounds each way, interleaved`);
    const dc = [];
    const kc = [];
    const round = async (url, body, auth, into) => {
      const all = Array.from({ length: CONCURRENT }, () => timed(() => call(url, body, auth)));
      into.push(...(await Promise.all(all)));
    };
    for (let r = 0; r < CONCURRENT_ROUNDS; r++) {
      await round(direct, BODY, "sk-bench", dc);
      await round(keel, KEEL_BODY, TOKEN, kc);
    }
    const dcs = stats(dc);
    const kcs = stats(kc);
    rows.push(
      { metric: `direct p50 (${CONCURRENT} concurrent)`, value: dcs.p50, unit: "ms" },
      { metric: `through Keel p50 (${CONCURRENT} concurrent)`, value: kcs.p50, unit: "ms" },
      {
        metric: `added p50 (${CONCURRENT} concurrent)`,
        value: kcs.p50 - dcs.p50,
        unit: "ms",
        target: "≤ 2",
        ok: kcs.p50 - dcs.p50 <= 2,
      },
    );

    ctx.log(`streamed: ${STREAMED} requests each way, time to the first token`);
    const dt = [];
    const kt = [];
    for (let i = 0; i < STREAMED; i++) {
      dt.push(await firstToken(direct, streamed(BODY), "sk-bench"));
      kt.push(await firstToken(keel, streamed(KEEL_BODY), TOKEN));
    }
    const added = stats(kt).p50 - stats(dt).p50;
    rows.push({
      metric: "streamed TTFT added p50",
      value: added,
      unit: "ms",
      target: "≤ 0.5",
      ok: added <= 0.5,
    });

    ctx.log(`throughput: non-streamed requests through Keel, ${CONCURRENT} in flight, 5 s`);
    const until = nowMs() + 5_000;
    let count = 0;
    const worker = async () => {
      while (nowMs() < until) {
        await call(keel, KEEL_BODY, TOKEN);
        count++;
      }
    };
    const t0 = nowMs();
    await Promise.all(Array.from({ length: CONCURRENT }, worker));
    rows.push({
      metric: "throughput (client, vendor and Keel on one process)",
      value: (count * 1000) / (nowMs() - t0),
      unit: "req/s",
    });

    ctx.log(`soak: ${SOAK} requests, then RSS once finished runs expired`);
    await new Promise((r) => setTimeout(r, 1_500));
    gc();
    const idle = process.memoryUsage().rss / 2 ** 20;
    for (let i = 0; i < SOAK; i += CONCURRENT) {
      await Promise.all(Array.from({ length: CONCURRENT }, () => call(keel, KEEL_BODY, TOKEN)));
    }
    await new Promise((r) => setTimeout(r, 2_000));
    gw.handle.context.runs.sweep();
    gc();
    const after = process.memoryUsage().rss / 2 ** 20;
    const finished = gw.handle.context.runs.stats().finished;
    rows.push(
      { metric: "finished-run records left after expiry", value: finished, unit: "" },
      {
        metric: `RSS over idle after ${SOAK} requests`,
        value: after - idle,
        unit: "MB",
        target: "≤ 15",
        ok: after - idle <= 15,
      },
      // Both clients hold keep-alive pools: the bench client's 50 concurrent sockets plus Keel's.
      { metric: "peak sockets open at the vendor (bench client + Keel)", value: fake.peakSockets, unit: "" },
      { metric: "requests the vendor served", value: fake.requestCount, unit: "" },
    );
  } finally {
    await gw.dispose();
    await fake.close();
    await agent.close();
  }
  return rows;
}
