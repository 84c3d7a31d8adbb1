// Protocol benchmarks over a plain WebSocket: spawn → first hello-ok, connect + health round
// trip latency, and connect throughput with 100 parallel clients (built gateway from dist/).
import WebSocket from "ws";
import { freePort, nowMs, spawnGateway, stats, tempDir } from "../lib.mjs";

export const name = "protocol";

const TOKEN = "bench-token-0123456789";

/** Opens a socket, sends connect, resolves with the hello-ok res (or rejects with the error). */
function connectOnce(url, { health = false } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const fail = (err) => {
      ws.terminate();
      reject(err);
    };
    ws.once("error", fail);
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString());
      if (f.type === "event" && f.event === "connect.challenge") {
        ws.send(
          JSON.stringify({
            type: "req",
            id: "c",
            method: "connect",
            params: {
              minProtocol: 4,
              maxProtocol: 4,
              client: { id: "test", version: "bench", platform: process.platform, mode: "test" },
              auth: { token: TOKEN },
            },
          }),
        );
      } else if (f.type === "res" && f.id === "c") {
        if (!f.ok) return fail(Object.assign(new Error(f.error.message), { error: f.error }));
        if (!health) {
          ws.close();
          return resolve(f);
        }
        ws.send(JSON.stringify({ type: "req", id: "h", method: "health", params: {} }));
      } else if (f.type === "res" && f.id === "h") {
        ws.close();
        if (!f.ok) return reject(new Error(f.error.message));
        resolve(f);
      }
    });
  });
}

/** Spawns a gateway and polls until the first hello-ok; returns the child and the elapsed ms. */
async function spawnToHello(root, stateDir) {
  const port = await freePort();
  const t0 = nowMs();
  const child = spawnGateway(root, { stateDir, port, args: ["--token", TOKEN] });
  const url = `ws://127.0.0.1:${port}`;
  for (;;) {
    try {
      await connectOnce(url);
      return { child, url, ms: nowMs() - t0 };
    } catch (err) {
      // Not listening yet (ECONNREFUSED) or startup-sidecars: retry quickly, as a client would.
      if (child.exitCode !== null) throw new Error("gateway exited during startup");
      if (nowMs() - t0 > 10_000) throw err;
      await new Promise((r) => setTimeout(r, err.error?.retryAfterMs ? 20 : 5));
    }
  }
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

export async function run(ctx) {
  const rows = [];
  const spawnSamples = [];
  for (let i = 0; i < 5; i++) {
    const tmp = tempDir();
    const { child, ms } = await spawnToHello(ctx.root, tmp.dir);
    spawnSamples.push(ms);
    await stop(child);
    tmp.dispose();
  }
  const sp = stats(spawnSamples);
  rows.push({
    metric: "spawn → first hello-ok p50",
    value: sp.p50,
    unit: "ms",
    target: "≤ 250",
    ok: sp.p50 <= 250,
  });
  rows.push({ metric: "spawn → first hello-ok max", value: sp.max, unit: "ms" });

  const tmp = tempDir();
  const { child, url } = await spawnToHello(ctx.root, tmp.dir);
  try {
    for (let i = 0; i < 20; i++) await connectOnce(url, { health: true }); // warm-up
    const rtt = [];
    for (let i = 0; i < 300; i++) {
      const t0 = nowMs();
      await connectOnce(url, { health: true });
      rtt.push(nowMs() - t0);
    }
    const r = stats(rtt);
    rows.push({ metric: "connect + health p50", value: r.p50, unit: "ms" });
    rows.push({ metric: "connect + health p99", value: r.p99, unit: "ms" });

    ctx.log("100 parallel clients connecting for 3 s");
    let done = 0;
    let failed = 0;
    const t0 = nowMs();
    const deadline = t0 + 3_000;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (nowMs() < deadline) {
          await connectOnce(url).then(
            () => done++,
            () => failed++,
          );
        }
      }),
    );
    const secs = (nowMs() - t0) / 1000;
    rows.push({ metric: "connects/s (100 parallel)", value: done / secs, unit: "/s" });
    rows.push({ metric: "failed connects", value: failed, unit: "", ok: failed === 0 });
  } finally {
    await stop(child);
    tmp.dispose();
  }
  return rows;
}
