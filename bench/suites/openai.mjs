// OpenAI-compatible API benchmarks, in one process: the fake vendor called directly and through
// Keel's /v1/chat/completions, interleaved, by the same keep-alive undici client. Reports the
// latency Keel adds (sequential p50/p99, 50 concurrent, streamed time to first token), the
// throughput of non-streamed requests, and RSS after 10,000 requests once finished runs expired.
// Two reference rows put the figures in context, measured the same way: a bare keep-alive proxy
// (node:http in, undici out, the JSON parsed and re-serialised, nothing else) and the vendor's
// own cost of the streamed answer Keel asks it for. Keel is the built gateway (dist/, what
// `npm run bench` builds first), not the TypeScript sources.
import { createServer } from "node:http";
import { Writable } from "node:stream";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Agent, request } from "undici";
import { loadConfig } from "../../dist/config/load.js";
import { start } from "../../dist/server/start.js";
import { createLogger, logDir } from "../../dist/lifecycle/logger.js";
import { startFakeOpenAI } from "../../test/fixtures/fake-openai.ts";
import { nowMs, stats } from "../lib.mjs";

export const name = "openai";

const TOKEN = "bench-token-0123456789";
const WARMUP = 1_000;
const SEQUENTIAL = 2_000;
const CONCURRENT = 50;
const CONCURRENT_ROUNDS = 40;
const STREAMED = 1_000;
const SOAK = 10_000;
const BODY = JSON.stringify({ model: "mock-model", messages: [{ role: "user", content: "Say hello." }] });
const KEEL_BODY = BODY.replace('"mock-model"', '"keel"');
const streamed = (body) => body.replace(/}$/, ',"stream":true}');
/** What Keel asks the vendor for: a streamed answer with usage. */
const UPSTREAM_BODY = BODY.replace(/}$/, ',"stream":true,"stream_options":{"include_usage":true}}');

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
  // Logging as `keel gateway run` does (info, every run's line in keel.log); the console copy
  // goes to a stream that drops it, so the bench's own output stays readable.
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  const log = createLogger({ level: "info", dir: logDir(stateDir), stdout: quiet });
  const handle = await start({ config: loaded.config, stateDir, loaded, logger: log.logger });
  await handle.ready;
  return {
    handle,
    dispose: async () => {
      await handle.close("bench done");
      await log.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * The floor: what any Node proxy on this path costs. node:http in, one undici keep-alive pool
 * out, the request and answer parsed and re-serialised (the model field rewritten), nothing else.
 */
async function bareProxy(vendorUrl) {
  const pool = new Agent({ connections: 128, keepAliveTimeout: 30_000 });
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = JSON.parse(Buffer.concat(chunks).toString());
    body.model = "mock-model";
    const up = await request(`${vendorUrl}/chat/completions`, {
      method: "POST",
      dispatcher: pool,
      headers: { "content-type": "application/json", authorization: "Bearer sk-bench" },
      body: JSON.stringify(body),
    });
    const answer = JSON.stringify(JSON.parse(await up.body.text()));
    res.writeHead(up.statusCode, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(answer),
    });
    res.end(answer);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1/chat/completions`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await pool.close();
    },
  };
}

/** Sequential added p50/p99 and 50-concurrent added p50 of `through` over `direct`, interleaved. */
async function added(direct, through) {
  const d = [];
  const k = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    d.push(await timed(direct));
    k.push(await timed(through));
  }
  const dc = [];
  const kc = [];
  const round = async (fn, into) =>
    into.push(...(await Promise.all(Array.from({ length: CONCURRENT }, () => timed(fn)))));
  for (let r = 0; r < CONCURRENT_ROUNDS; r++) {
    await round(direct, dc);
    await round(through, kc);
  }
  const [ds, ks, dcs, kcs] = [d, k, dc, kc].map(stats);
  return { ds, ks, dcs, kcs, p50: ks.p50 - ds.p50, p99: ks.p99 - ds.p99, c50: kcs.p50 - dcs.p50 };
}

export async function run(ctx) {
  const fake = await startFakeOpenAI({ maxRecorded: 0, apiKey: "sk-bench" });
  fake.setScript(() => ({ type: "reply", chunks: ["Hello", " from", " the", " fake", " vendor."] }));
  const gw = await gateway(fake.url);
  const direct = `${fake.url}/chat/completions`;
  const keel = `${gw.handle.url}/v1/chat/completions`;
  const rows = [];
  try {
    const toVendor = () => call(direct, BODY, "sk-bench");
    const toKeel = () => call(keel, KEEL_BODY, TOKEN);
    for (let i = 0; i < WARMUP; i++) {
      await toVendor();
      await toKeel();
      await call(direct, UPSTREAM_BODY, "sk-bench");
    }
    ctx.log(
      `sequential: ${SEQUENTIAL} non-streamed requests each way, interleaved; then ${CONCURRENT} concurrent, ${CONCURRENT_ROUNDS} rounds`,
    );
    const a = await added(toVendor, toKeel);
    rows.push(
      { metric: "direct p50 (sequential)", value: a.ds.p50, unit: "ms" },
      { metric: "through Keel p50 (sequential)", value: a.ks.p50, unit: "ms" },
      { metric: "added p50 (sequential)", value: a.p50, unit: "ms", target: "≤ 0.5", ok: a.p50 <= 0.5 },
      { metric: "added p99 (sequential)", value: a.p99, unit: "ms", target: "≤ 2", ok: a.p99 <= 2 },
      { metric: `direct p50 (${CONCURRENT} concurrent)`, value: a.dcs.p50, unit: "ms" },
      { metric: `through Keel p50 (${CONCURRENT} concurrent)`, value: a.kcs.p50, unit: "ms" },
      {
        metric: `added p50 (${CONCURRENT} concurrent)`,
        value: a.c50,
        unit: "ms",
        target: "≤ 2",
        ok: a.c50 <= 2,
      },
    );

    ctx.log("reference: a bare keep-alive proxy, and the vendor's streamed answer, measured the same way");
    const proxy = await bareProxy(fake.url);
    try {
      const toProxy = () => call(proxy.url, KEEL_BODY, "sk-bench");
      for (let i = 0; i < WARMUP; i++) await toProxy();
      const b = await added(toVendor, toProxy);
      rows.push(
        { metric: "bare proxy: added p50 (sequential)", value: b.p50, unit: "ms" },
        { metric: "bare proxy: added p99 (sequential)", value: b.p99, unit: "ms" },
        { metric: `bare proxy: added p50 (${CONCURRENT} concurrent)`, value: b.c50, unit: "ms" },
      );
    } finally {
      await proxy.close();
    }
    const v = await added(toVendor, () => call(direct, UPSTREAM_BODY, "sk-bench"));
    rows.push({ metric: "vendor: its streamed answer over its JSON one, p50", value: v.p50, unit: "ms" });

    ctx.log(`streamed: ${STREAMED} requests each way, time to the first token`);
    const dt = [];
    const kt = [];
    for (let i = 0; i < STREAMED; i++) {
      dt.push(await firstToken(direct, streamed(BODY), "sk-bench"));
      kt.push(await firstToken(keel, streamed(KEEL_BODY), TOKEN));
    }
    const ttft = stats(kt).p50 - stats(dt).p50;
    rows.push({
      metric: "streamed TTFT added p50",
      value: ttft,
      unit: "ms",
      target: "≤ 0.5",
      ok: ttft <= 0.5,
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
