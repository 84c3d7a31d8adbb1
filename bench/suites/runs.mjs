// Run engine benchmarks against a spawned gateway and the fake OpenAI vendor on loopback:
// Keel's own time per warm chat turn, RSS after 100 turns, a 10,000-run soak, 200 concurrent clients.
import { cpuMsOf, gatewayOverFakeVendor, nowMs, protocolClient, rssOf, stats, whenUp } from "../lib.mjs";

export const name = "runs";

const TOKEN = "bench-token-0123456789";
const REPLY = { type: "reply", chunks: ["Hello", " from", " the", " fake", " vendor."], usage: false };

/** A connected protocol client whose `turn` sends chat.send and resolves with the ms until its end. */
async function client(url) {
  const c = await protocolClient(url, { token: TOKEN });
  const turn = async (sessionKey, runId) => {
    const { end, ms } = await c.turn(sessionKey, runId);
    if (end.state !== "final") throw new Error(`run ${runId} ended ${end.state}: ${end.errorMessage}`);
    return ms;
  };
  return { turn, request: c.request, close: c.close };
}

/** The vendor's own time for the same reply, measured with a direct streaming request. */
async function directVendor(url) {
  const t0 = nowMs();
  const res = await fetch(`${url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "Say hello." }] }),
  });
  await res.text();
  return nowMs() - t0;
}

async function pool(n, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

export async function run(ctx) {
  const gw = await gatewayOverFakeVendor(ctx.root, {
    token: TOKEN,
    script: () => REPLY,
    config: {
      // Finished records leave quickly so the soak's "after the sweep" figure comes within seconds.
      runs: { maxConcurrent: 1000, finishedTtlMs: 1000, sweepIntervalMs: 500 },
      session: { maintenance: { maxEntries: 20000 } },
    },
  });
  const { fake, child, url } = gw;
  const rows = [];
  try {
    const c = await whenUp(() => client(url));

    ctx.log("warm chat turns");
    for (let i = 0; i < 30; i++) await c.turn("agent:main:warm", `warm-${i}`);
    const direct = [];
    const total = [];
    let rss100 = 0;
    for (let i = 0; i < 200; i++) {
      direct.push(await directVendor(fake.url));
      total.push(await c.turn("agent:main:bench", `turn-${i}`));
      if (i === 69) rss100 = (await rssOf(child.pid)) / 2 ** 20; // 30 warm-up + 70 = 100 turns
    }
    const d = stats(direct);
    const tt = stats(total);
    const p50 = tt.p50 - d.p50;
    const p99 = tt.p99 - d.p99;
    rows.push({
      metric: "warm turn, Keel's time over the vendor's, p50",
      value: p50,
      unit: "ms",
      target: "≤ 3",
      ok: p50 <= 3,
    });
    rows.push({
      metric: "warm turn, Keel's time over the vendor's, p99",
      value: p99,
      unit: "ms",
      target: "≤ 15",
      ok: p99 <= 15,
    });
    rows.push({
      metric: "warm turn end to end p50 (vendor alone)",
      value: `${tt.p50.toFixed(2)} (${d.p50.toFixed(2)})`,
      unit: "ms",
    });
    rows.push({ metric: "RSS after 100 turns", value: rss100, unit: "MB", target: "≤ 90", ok: rss100 <= 90 });
    await new Promise((r) => setTimeout(r, 1500));
    const baseline = (await rssOf(child.pid)) / 2 ** 20;

    ctx.log("10,000-run soak (each run in its own session)");
    const t0 = nowMs();
    await pool(10_000, 100, (i) => c.turn(`subagent:soak-${i}`, `soak-${i}`));
    const soakMs = nowMs() - t0;
    // The run sweep drops finished records within ~1.5 s here; V8 returns freed pages lazily.
    await new Promise((r) => setTimeout(r, 10_000));
    const rssSoak = (await rssOf(child.pid)) / 2 ** 20;
    const status = await c.request("status", {});
    rows.push({ metric: "10,000 runs wall time", value: soakMs / 1000, unit: "s" });
    rows.push({ metric: "10,000 runs throughput", value: 10_000 / (soakMs / 1000), unit: "runs/s" });
    rows.push({ metric: "RSS before the soak", value: baseline, unit: "MB" });
    rows.push({
      metric: "RSS over baseline after the sweep",
      value: rssSoak - baseline,
      unit: "MB",
      target: "≤ 20",
      ok: rssSoak - baseline <= 20,
    });
    const live = status.payload?.runs?.active;
    if (live !== undefined) rows.push({ metric: "live runs after the soak", value: live, unit: "" });

    ctx.log("200 concurrent clients, one turn each");
    const clients = await Promise.all(Array.from({ length: 200 }, () => client(url)));
    const cpu0 = await cpuMsOf(child.pid);
    const t1 = nowMs();
    const lat = await Promise.all(clients.map((cl, i) => cl.turn(`agent:main:cc-${i}`, `cc-${i}`)));
    const wall = nowMs() - t1;
    const cpu = (await cpuMsOf(child.pid)) - cpu0;
    // Every run's events go to every operator: 200 runs × ~13 events × 200 clients ≈ 520k frames,
    // which the one bench process must also parse.
    rows.push({ metric: "200 concurrent turns, gateway CPU", value: cpu, unit: "ms" });
    const ls = stats(lat);
    rows.push({ metric: "200 concurrent turns, wall time", value: wall, unit: "ms" });
    rows.push({
      metric: "200 concurrent turns, p50 / p99",
      value: `${ls.p50.toFixed(1)} / ${ls.p99.toFixed(1)}`,
      unit: "ms",
    });
    for (const cl of clients) cl.close();
    c.close();
  } finally {
    await gw.stop();
  }
  return rows;
}
