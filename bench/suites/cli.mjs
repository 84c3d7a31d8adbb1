// CLI and client latency: `keel gateway call health` wall time as a fresh `node dist/keel.mjs`
// process, and GatewayClient (dist/client) connect + request round trips against a built gateway.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { freePort, nowMs, spawnGateway, stats, tempDir } from "../lib.mjs";

export const name = "cli and client";

const TOKEN = "bench-token-0123456789";

function runCli(root, args, env = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEEL_")));
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    execFile(
      process.execPath,
      [join(root, "dist/keel.mjs"), ...args],
      { env: { ...clean, ...env } },
      (err) => (err ? reject(err) : resolve(nowMs() - t0)),
    );
  });
}

async function wallTimes(root, args, env, n = 15) {
  for (let i = 0; i < 2; i++) await runCli(root, args, env); // warm the page cache
  const samples = [];
  for (let i = 0; i < n; i++) samples.push(await runCli(root, args, env));
  return stats(samples);
}

async function waitStarted(port) {
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/startupz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function run(ctx) {
  return runSuite(ctx);
}

async function runSuite(ctx) {
  const t = tempDir();
  const port = await freePort();
  const child = spawnGateway(ctx.root, { stateDir: t.dir, port, args: ["--token", TOKEN] });
  try {
    await waitStarted(port);
    const url = `ws://127.0.0.1:${port}`;
    ctx.log("keel --version (node + CLI startup floor)");
    const version = await wallTimes(ctx.root, ["--version"], {});
    ctx.log("keel gateway call health --url --token");
    const remote = await wallTimes(
      ctx.root,
      ["gateway", "call", "health", "--url", url, "--token", TOKEN],
      {},
    );
    ctx.log("keel gateway call health (local target: config loaded for port and budget)");
    const local = await wallTimes(ctx.root, ["gateway", "call", "health", "--state-dir", t.dir], {
      KEEL_GATEWAY_PORT: String(port),
      KEEL_GATEWAY_TOKEN: TOKEN,
    });

    const { GatewayClient } = await import(pathToFileURL(join(ctx.root, "dist/client/client.js")).href);
    ctx.log("GatewayClient connect + health + close, 50 times");
    const connectRtt = [];
    for (let i = 0; i < 55; i++) {
      const t0 = nowMs();
      const c = await GatewayClient.connect({ url, token: TOKEN, scopes: ["operator.read"] });
      await c.request("health");
      await c.close();
      if (i >= 5) connectRtt.push(nowMs() - t0);
    }
    ctx.log("GatewayClient request round trip on one connection, 500 times");
    const c = await GatewayClient.connect({ url, token: TOKEN, scopes: ["operator.read"] });
    const rtt = [];
    for (let i = 0; i < 520; i++) {
      const t0 = nowMs();
      await c.request("health");
      if (i >= 20) rtt.push(nowMs() - t0);
    }
    await c.close();
    const cr = stats(connectRtt);
    const r = stats(rtt);
    return [
      { metric: "keel --version wall, p50", value: version.p50, unit: "ms" },
      {
        metric: "keel gateway call health (--url --token) wall, p50",
        value: remote.p50,
        unit: "ms",
        target: "≤ 150",
        ok: remote.p50 <= 150,
      },
      { metric: "keel gateway call health (--url --token) wall, max", value: remote.max, unit: "ms" },
      { metric: "keel gateway call health (local config) wall, p50", value: local.p50, unit: "ms" },
      { metric: "client connect + health + close, p50", value: cr.p50, unit: "ms" },
      { metric: "client connect + health + close, p99", value: cr.p99, unit: "ms" },
      { metric: "client request round trip (health), p50", value: r.p50, unit: "ms" },
      { metric: "client request round trip (health), p99", value: r.p99, unit: "ms" },
    ];
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    t.dispose();
  }
}
