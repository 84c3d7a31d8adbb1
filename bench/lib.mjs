// Shared helpers for bench suites: percentiles, timing, spawning a built gateway.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1], n: s.length };
}

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export function tempDir(prefix = "keel-bench-") {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Reads RSS (bytes) of a pid from /proc. */
export async function rssOf(pid) {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** Spawns `node dist/keel.mjs gateway run` with a temp state dir on a free port. */
export function spawnGateway(root, { stateDir, port, env = {}, args = [] }) {
  const child = spawn(
    process.execPath,
    [join(root, "dist/keel.mjs"), "gateway", "run", "--port", String(port), "--state-dir", stateDir, ...args],
    { env: { ...process.env, KEEL_LOG_LEVEL: "warn", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout.resume();
  child.stderr.resume();
  return child;
}

/**
 * A built gateway over a fake vendor: `fake/m` is the default model, `config` is spread over
 * that, and the gateway runs with `--token`. `stop()` ends the gateway, then the vendor, and
 * removes the state dir.
 */
export async function gatewayOverFakeVendor(root, { token, script, config = {} }) {
  const { startFakeOpenAI } = await import("../test/fixtures/fake-openai.ts");
  const fake = await startFakeOpenAI({ script, maxRecorded: 0 });
  const t = tempDir();
  const port = await freePort();
  writeFileSync(
    join(t.dir, "keel.json"),
    JSON.stringify({
      models: { providers: { fake: { baseUrl: fake.url, models: [{ id: "m" }] } } },
      agents: { defaults: { model: "fake/m" } },
      ...config,
    }),
  );
  const child = spawnGateway(root, { stateDir: t.dir, port, args: ["--token", token] });
  const stop = async () => {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await fake.close();
    t.dispose();
  };
  return { fake, child, url: `ws://127.0.0.1:${port}`, stop };
}

/** `connect()` retried every 25 ms until it succeeds (the gateway is up), for at most 5 s. */
export async function whenUp(connect) {
  for (let i = 0; i < 200; i++) {
    const up = await connect().catch(() => undefined);
    if (up) return up;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("gateway did not come up");
}

export async function freePort() {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** CPU time (user + system, ms) a pid has used, from /proc. */
export async function cpuMsOf(pid) {
  const { readFile } = await import("node:fs/promises");
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

const TERMINAL = new Set(["final", "error", "aborted"]);

/**
 * A protocol client for bench suites: connects with the token (and `caps`), then `request()`
 * and `ended(runId)` (the run's terminal chat payload; `{state: "client closed"}` if the socket
 * goes first), and `turn()` (chat.send, then its end and ms). `onFrame` sees every frame first.
 */
export async function protocolClient(url, { token, caps = [], onFrame } = {}) {
  const { default: WebSocket } = await import("ws");
  const ws = new WebSocket(url);
  const pending = new Map();
  const ends = new Map();
  let id = 0;
  ws.on("error", () => {});
  ws.on("message", (data) => {
    const f = JSON.parse(data.toString());
    onFrame?.(f);
    if (f.type === "res") {
      pending.get(f.id)?.(f);
      pending.delete(f.id);
    } else if (f.event === "chat" && TERMINAL.has(f.payload.state)) {
      ends.get(f.payload.runId)?.(f.payload);
      ends.delete(f.payload.runId);
    }
  });
  ws.on("close", () => {
    for (const end of ends.values()) end({ state: "client closed" });
    ends.clear();
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const request = (method, params) =>
    new Promise((resolve) => {
      const rid = `r${++id}`;
      pending.set(rid, resolve);
      ws.send(JSON.stringify({ type: "req", id: rid, method, params }));
    });
  const hello = await request("connect", {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: "test", version: "bench", platform: process.platform, mode: "test" },
    caps,
    scopes: ["operator.read", "operator.write"],
    auth: { token },
  });
  if (!hello.ok) throw new Error(`connect failed: ${hello.error.message}`);
  const ended = (runId) => new Promise((resolve) => ends.set(runId, resolve));
  /** chat.send in `sessionKey`; resolves with its terminal chat payload and the ms it took. */
  const turn = async (sessionKey, runId, message = "Say hello.") => {
    const done = ended(runId);
    const t0 = nowMs();
    const ack = await request("chat.send", { sessionKey, message, idempotencyKey: runId });
    if (!ack.ok) throw new Error(`chat.send failed: ${ack.error.message}`);
    const end = await done;
    return { end, ms: nowMs() - t0 };
  };
  return { ws, request, ended, turn, close: () => ws.close() };
}
