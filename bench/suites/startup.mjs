// Cold start: spawn → /startupz 200, and idle RSS after 10 s.
import { freePort, nowMs, rssOf, spawnGateway, stats, tempDir } from "../lib.mjs";

export const name = "gateway cold start";

async function startupz(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/startupz`);
    return res.status;
  } catch {
    return 0;
  }
}

export async function run(ctx) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const t = tempDir();
    const port = await freePort();
    const t0 = nowMs();
    const child = spawnGateway(ctx.root, { stateDir: t.dir, port });
    while ((await startupz(port)) !== 200) await new Promise((r) => setTimeout(r, 2));
    samples.push(nowMs() - t0);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    t.dispose();
  }
  const s = stats(samples);
  ctx.log("measuring idle RSS (10 s)");
  const t = tempDir();
  const port = await freePort();
  const child = spawnGateway(ctx.root, { stateDir: t.dir, port });
  while ((await startupz(port)) !== 200) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 10_000));
  const rss = await rssOf(child.pid);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  t.dispose();
  return [
    { metric: "spawn → /startupz 200, p50", value: s.p50, unit: "ms", target: "≤ 200", ok: s.p50 <= 200 },
    { metric: "spawn → /startupz 200, max of 5", value: s.max, unit: "ms" },
    {
      metric: "idle RSS after 10 s",
      value: rss / 2 ** 20,
      unit: "MB",
      target: "≤ 60",
      ok: rss / 2 ** 20 <= 60,
    },
  ];
}
