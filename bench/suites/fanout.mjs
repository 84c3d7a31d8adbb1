// Session-scoped event fan-out: N = 200, 500, 1,000 clients with `session-scoped-events`, each
// following its own session and running one turn in it against the fake vendor, all at once.
// Every turn must end final and every client must see only its own session's events.
import { cpuMsOf, gatewayOverFakeVendor, nowMs, protocolClient, rssOf, stats, whenUp } from "../lib.mjs";

export const name = "fanout";

const TOKEN = "bench-token-0123456789";
const REPLY = { type: "reply", chunks: ["Hello", " from", " the", " fake", " vendor."], usage: false };
const SIZES = (process.env.BENCH_FANOUT_N ?? "200,500,1000").split(",").map(Number);

/** One capped client following `sessionKey`: counts the run events it gets, own and foreign. */
async function scopedClient(url, sessionKey) {
  const seen = { own: 0, foreign: 0, frames: 0, closed: false, ended: false };
  const c = await protocolClient(url, {
    token: TOKEN,
    caps: ["session-scoped-events"],
    onFrame: (f) => {
      seen.frames += 1;
      if (f.type !== "event" || (f.event !== "chat" && f.event !== "agent")) return;
      if (f.payload.sessionKey === sessionKey) seen.own += 1;
      else seen.foreign += 1;
    },
  });
  c.ws.on("close", (code, reason) => (seen.closed = `${code} ${reason}`));
  const sub = await c.request("sessions.messages.subscribe", { key: sessionKey });
  if (!sub.ok) throw new Error(`subscribe failed: ${sub.error.message}`);
  /** Sends chat.send and resolves with { ms, state } at its terminal chat event. */
  const turn = async (runId) => {
    const { end, ms } = await c.turn(sessionKey, runId);
    seen.ended = true;
    return { ms, state: end.state };
  };
  return { turn, seen, close: c.close };
}

/** Opens `n` clients, at most `batch` handshakes at a time (a connect storm is not what is measured). */
async function openClients(url, n, batch = 50) {
  const out = [];
  for (let i = 0; i < n; i += batch) {
    const size = Math.min(batch, n - i);
    out.push(
      ...(await Promise.all(
        Array.from({ length: size }, (_, j) => scopedClient(url, `agent:main:fan-${i + j}`)),
      )),
    );
  }
  return out;
}

async function oneSize(ctx, n) {
  const gw = await gatewayOverFakeVendor(ctx.root, {
    token: TOKEN,
    script: () => REPLY,
    config: {
      gateway: { maxConnections: 2_000, preAuth: { maxConnections: 2_000, maxPerAddress: 2_000 } },
      runs: { maxConcurrent: 2_000 },
    },
  });
  const { child, url } = gw;
  try {
    (await whenUp(() => scopedClient(url, "agent:main:probe"))).close();
    const rss0 = (await rssOf(child.pid)) / 2 ** 20;
    ctx.log(`N = ${n}: connecting`);
    const clients = await openClients(url, n);
    // Each connect changes presence, and each presence event carries the whole list to every
    // client (the protocol's O(N²) bytes; past the total send budget the gateway skips it for the
    // rest). The turns are measured once no presence frame has arrived for a second.
    const settle = nowMs();
    for (let last = -1, quietSince = nowMs(); nowMs() - quietSince < 1_000 && nowMs() - settle < 30_000;) {
      const frames = clients.reduce((sum, c) => sum + c.seen.frames, 0);
      if (frames !== last) [last, quietSince] = [frames, nowMs()];
      await new Promise((r) => setTimeout(r, 100));
    }
    const settleMs = nowMs() - settle;
    const rssConnected = (await rssOf(child.pid)) / 2 ** 20;
    ctx.log(`N = ${n}: one turn each, all at once`);
    const cpu0 = await cpuMsOf(child.pid);
    const t0 = nowMs();
    let rssPeak = rssConnected;
    let ticks = 0;
    const sampler = setInterval(async () => {
      rssPeak = Math.max(rssPeak, (await rssOf(child.pid).catch(() => 0)) / 2 ** 20);
      // A stalled batch says how far it got instead of hanging silently.
      if (++ticks % 100 === 0) {
        const ended = clients.filter((c) => c.seen.ended).length;
        const closed = clients.filter((c) => c.seen.closed);
        const why = [...new Set(closed.map((c) => c.seen.closed))].join("; ");
        ctx.log(`N = ${n}: ${ended} ended, ${closed.length} sockets closed (${why}) after ${ticks / 10} s`);
      }
    }, 100);
    const ends = await Promise.all(clients.map((c, i) => c.turn(`fan-${n}-${i}`)));
    clearInterval(sampler);
    const wall = nowMs() - t0;
    const cpu = (await cpuMsOf(child.pid)) - cpu0;
    const rssAfter = (await rssOf(child.pid)) / 2 ** 20;
    rssPeak = Math.max(rssPeak, rssAfter);
    const final = ends.filter((e) => e.state === "final").length;
    const foreign = clients.reduce((sum, c) => sum + c.seen.foreign, 0);
    const frames = clients.reduce((sum, c) => sum + c.seen.frames, 0);
    const lat = stats(ends.map((e) => e.ms));
    for (const c of clients) c.close();
    return [
      { metric: `N=${n} turns final`, value: `${final}/${n}`, unit: "", ok: final === n },
      {
        metric: `N=${n} foreign run events received`,
        value: foreign,
        unit: "",
        target: "0",
        ok: foreign === 0,
      },
      { metric: `N=${n} frames to all clients`, value: frames, unit: "" },
      { metric: `N=${n} turn p50 / p99`, value: `${lat.p50.toFixed(0)} / ${lat.p99.toFixed(0)}`, unit: "ms" },
      {
        metric: `N=${n} wall time (presence settled in)`,
        value: `${wall.toFixed(0)} (${settleMs.toFixed(0)})`,
        unit: "ms",
      },
      {
        metric: `N=${n} gateway CPU (per turn)`,
        value: `${cpu.toFixed(0)} (${(cpu / n).toFixed(2)})`,
        unit: "ms",
      },
      {
        metric: `N=${n} gateway RSS idle / connected / peak`,
        value: `${rss0.toFixed(0)} / ${rssConnected.toFixed(0)} / ${rssPeak.toFixed(0)}`,
        unit: "MB",
      },
    ];
  } finally {
    await gw.stop();
  }
}

export async function run(ctx) {
  const rows = [];
  for (const n of SIZES) rows.push(...(await oneSize(ctx, n)));
  return rows;
}
