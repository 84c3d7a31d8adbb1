// Clients that never read while turns stream: the gateway's RSS idle, at its peak, and after the
// total send budget dropped them (does the memory come back?), on a spawned gateway with defaults.
import { gatewayOverFakeVendor, protocolClient, rssOf, whenUp } from "../lib.mjs";

export const name = "slow-consumers";

const TOKEN = "bench-token-0123456789";
const TURNS = 40;
/** ~400 KiB per reply, in 1 KiB deltas. */
const REPLY = {
  type: "reply",
  chunks: Array.from({ length: 400 }, (_, i) => `${i}:${"x".repeat(1020)} `),
  usage: false,
};
const MiB = 2 ** 20;

/** A connected client; `reading: false` stops reading the socket right after hello-ok. */
async function client(url, reading) {
  const c = await protocolClient(url, { token: TOKEN });
  if (!reading) c.ws._socket.pause();
  const turn = async (runId) => (await c.turn(`agent:main:${runId}`, runId, "go")).end;
  return { ws: c.ws, request: c.request, turn };
}

export async function run(ctx) {
  const gw = await gatewayOverFakeVendor(ctx.root, {
    token: TOKEN,
    script: () => REPLY,
    config: { runs: { maxConcurrent: 100 } },
  });
  const { child, url } = gw;
  const slow = [];
  try {
    const reader = await whenUp(() => client(url, true));
    await reader.turn("warm");
    const idle = (await rssOf(child.pid)) / MiB;
    for (let i = 0; i < 3; i++) slow.push(await client(url, false));
    ctx.log(`${TURNS} turns of ~400 KiB each while 3 clients never read (default send budgets)`);
    let peak = idle;
    let peakQueued = 0;
    const sampler = setInterval(async () => {
      peak = Math.max(peak, (await rssOf(child.pid)) / MiB);
    }, 50);
    const ends = await Promise.all(Array.from({ length: TURNS }, (_, i) => reader.turn(`t${i}`)));
    clearInterval(sampler);
    if (reader.ws.readyState !== reader.ws.OPEN) throw new Error("the reading client was closed");
    const status = (await reader.request("status", {})).payload;
    peakQueued = status.connections.bufferedBytes / MiB;
    const open = status.connections.count;
    // The clients that never read go away (those the budgets did not close already); the
    // gateway releases memory a second after such a close: give it that and a little more.
    for (const s of slow) s.ws.terminate();
    await new Promise((r) => setTimeout(r, 3_000));
    const after = (await rssOf(child.pid)) / MiB;
    const heapAfter = (await reader.request("status", {})).payload.memory.heapUsed / MiB;
    const finals = ends.filter((e) => e.state === "final").length;
    return [
      {
        metric: "turns that ended final (of 40)",
        value: finals,
        unit: "",
        target: "= 40",
        ok: finals === TURNS,
      },
      { metric: "connections left open (reader + never-readers)", value: open, unit: "" },
      { metric: "bytes still queued to clients at the end", value: peakQueued, unit: "MiB" },
      { metric: "gateway RSS idle", value: idle, unit: "MiB" },
      { metric: "gateway RSS peak while streaming", value: peak, unit: "MiB" },
      { metric: "gateway V8 heap used 3 s after the drop", value: heapAfter, unit: "MiB" },
      {
        metric: "gateway RSS 3 s after the drop, over idle",
        value: after - idle,
        unit: "MiB",
        target: "≤ 64",
        ok: after - idle <= 64,
      },
    ];
  } finally {
    for (const s of slow) s.ws.terminate();
    await gw.stop();
  }
}
