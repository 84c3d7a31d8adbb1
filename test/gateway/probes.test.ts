import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { start } from "../../src/server/start.js";
import { eventually } from "../helpers/eventually.js";
import { tempDir } from "../helpers/process.js";

function probe(url: string, method = "GET"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function held() {
  let release!: () => void;
  const promise = new Promise<void>((r) => {
    release = r;
  });
  return { promise, release };
}

const config = (raw: object = {}) =>
  loadConfig({ path: "/nonexistent", raw: { gateway: { port: 0 }, ...raw }, env: {} });

describe("probes and startup steps", () => {
  it("listens first: /healthz 200 at once, /startupz and /readyz 503 until the steps finish", async () => {
    using dir = tempDir();
    const gate = held();
    const loaded = config();
    await using gw = await start({
      config: loaded.config,
      loaded,
      stateDir: dir.path,
      steps: [{ name: "held-step", run: () => gate.promise }],
    });
    expect(await probe(`${gw.url}/healthz`)).toEqual({ status: 200, body: '{"ok":true,"status":"live"}' });
    expect(await probe(`${gw.url}/startupz`)).toEqual({
      status: 503,
      body: '{"ok":false,"status":"starting"}',
    });
    expect((await probe(`${gw.url}/readyz`)).status).toBe(503);
    expect((await probe(`${gw.url}/startupz`, "HEAD")).status).toBe(503);
    expect(gw.startup.status.find((s) => s.name === "held-step")?.state).toBe("running");

    gate.release();
    await gw.ready;
    expect(await probe(`${gw.url}/startupz`)).toEqual({
      status: 200,
      body: '{"ok":true,"status":"started"}',
    });
    expect(await probe(`${gw.url}/readyz`)).toEqual({ status: 200, body: '{"ok":true,"status":"ready"}' });
    const head = await probe(`${gw.url}/healthz`, "HEAD");
    expect(head).toEqual({ status: 200, body: "" });
    for (const s of gw.startup.status) {
      expect(s.state).toBe("done");
      expect(typeof s.durationMs).toBe("number");
    }
    expect(gw.startup.status.map((s) => s.name)).toEqual([
      "restart-backoff",
      "hooks",
      "models",
      "sessions",
      "held-step",
    ]);
    expect((await probe(`${gw.url}/nope`)).status).toBe(404);
  });

  it("a failing step fails startup: ready rejects and /startupz says failed", async () => {
    using dir = tempDir();
    const loaded = config();
    await using gw = await start({
      config: loaded.config,
      stateDir: dir.path,
      steps: [{ name: "broken", run: () => Promise.reject(new Error("disk on fire")) }],
    });
    await expect(gw.ready).rejects.toThrow("disk on fire");
    expect(await probe(`${gw.url}/startupz`)).toEqual({
      status: 503,
      body: '{"ok":false,"status":"failed"}',
    });
    expect(gw.startup.status.find((s) => s.name === "broken")).toMatchObject({
      state: "failed",
      error: "disk on fire",
    });
  });

  it("a crash loop waits before startup work with the listener already up", async () => {
    using dir = tempDir();
    const now = 1_800_000_000_000;
    // Four rapid starts already happened; this one is the fifth.
    writeFileSync(
      join(dir.path, "restart-sentinel.json"),
      JSON.stringify({ lastStartAt: now - 60_000, rapidCount: 4 }),
    );
    const waits: number[] = [];
    const gate = held();
    const loaded = config();
    await using gw = await start({
      config: loaded.config,
      stateDir: dir.path,
      now: () => now,
      sleep: (ms) => {
        waits.push(ms);
        return gate.promise;
      },
    });
    await eventually(() => waits.length > 0, { message: "the backoff wait" });
    expect(waits).toEqual([10_000]);
    expect(await probe(`${gw.url}/healthz`)).toMatchObject({ status: 200 });
    expect(await probe(`${gw.url}/startupz`)).toEqual({
      status: 503,
      body: '{"ok":false,"status":"starting"}',
    });
    expect(gw.startup.status[0]?.detail).toContain("10000 ms");
    gate.release();
    await gw.ready;
    expect((await probe(`${gw.url}/startupz`)).status).toBe(200);
  });

  it("an invalid hooks section disables hooks; the gateway still becomes ready", async () => {
    using dir = tempDir();
    const loaded = config({ hooks: { enabled: true, path: "/" } });
    await using gw = await start({ config: loaded.config, loaded, stateDir: dir.path });
    await gw.ready;
    expect(gw.subsystems.get("hooks")?.state).toBe("disabled");
    expect(gw.subsystems.get("hooks")?.reason).toContain("hooks.path");
    expect((await probe(`${gw.url}/readyz`)).status).toBe(200);
  });

  it("close() releases the port and the lock, so a new gateway can start on the same state dir", async () => {
    using dir = tempDir();
    const loaded = config();
    const a = await start({ config: loaded.config, stateDir: dir.path });
    await a.ready;
    await a.close();
    await expect(probe(`${a.url}/healthz`)).rejects.toThrow();
    await using b = await start({ config: loaded.config, stateDir: dir.path });
    await b.ready;
    expect((await probe(`${b.url}/healthz`)).status).toBe(200);
  });
});
