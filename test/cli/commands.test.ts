// Every client command end to end: the built CLI against a real gateway process.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.js";
import { CLI, spawnGateway } from "../helpers/process.js";
import { keel } from "./run.js";

let gw: Awaited<ReturnType<typeof spawnGateway>>;
beforeAll(async () => {
  gw = await spawnGateway();
});
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]();
});

describe("keel client commands against a running gateway (local target: port from config, token file)", () => {
  it("gateway call health --json prints the health result and exits 0", async () => {
    const r = await keel(["gateway", "call", "health", "--json"], gw.env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const health = JSON.parse(r.stdout);
    expect(health).toMatchObject({ ok: true, startup: { phase: "ready" } });
  });

  it("gateway call passes --params and reports method errors in one line (exit 1)", async () => {
    const ok = await keel(["gateway", "call", "logs.tail", "--params", '{"limit":2}'], gw.env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ lines: expect.any(Array), cursor: expect.any(Number) });
    const bad = await keel(["gateway", "call", "logs.tail", "--params", '{"limit":0}', "--json"], gw.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")[0]).toMatch(
      /^keel: logs\.tail failed: INVALID_REQUEST: invalid logs\.tail params/,
    );
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      error: { code: "INVALID_REQUEST", method: "logs.tail" },
    });
  });

  it("health: human rows by default, the snapshot with --json", async () => {
    const human = await keel(["health"], gw.env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Health\s+ok$/m);
    expect(human.stdout).toMatch(/^Startup\s+ready \(/m);
    const json = await keel(["health", "--json", "--probe"], gw.env);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, subsystems: expect.any(Object) });
  });

  it("status shows the gateway and its clients; --json gives {status, presence}", async () => {
    const human = await keel(["status"], gw.env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`pid ${gw.pid}`);
    expect(human.stdout).toMatch(/^Presence \(\d+\)$/m);
    const r = await keel(["status", "--json"], gw.env);
    const { status, presence } = JSON.parse(r.stdout);
    expect(status).toMatchObject({ pid: gw.pid, port: gw.port, authMode: "token" });
    expect(presence.some((p: { mode?: string }) => p.mode === "cli")).toBe(true);
  });

  it("gateway status says running, where, and with which credentials", async () => {
    const r = await keel(["gateway", "status", "--json"], gw.env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      url: `ws://127.0.0.1:${gw.port}`,
      local: true,
      running: true,
      pid: gw.pid,
      startup: "ready",
      credentials: "token-file",
    });
    const human = await keel(["gateway", "status"], gw.env);
    expect(human.stdout).toMatch(/^Gateway\s+running at ws:\/\/127\.0\.0\.1:\d+ \(local\)$/m);
  });

  it("gateway probe: reachable, admin-capable with the shared token, read probe ok", async () => {
    const r = await keel(["gateway", "probe", "--json"], gw.env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      reachable: true,
      capability: "admin-capable",
      readProbe: { ok: true, method: "health" },
    });
    const human = await keel(["gateway", "probe"], gw.env);
    expect(human.stdout).toMatch(/^Capability\s+admin-capable/m);
  });

  it("logs prints the gateway's log; --json keeps the raw JSON lines", async () => {
    const r = await keel(["logs", "--json", "-n", "100"], gw.env);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => /keel gateway listening on/.test(l.msg))).toBe(true);
    const human = await keel(["logs", "-n", "100"], gw.env);
    expect(human.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}keel gateway listening on ws:/m);
  });

  it("logs --follow prints new lines as they are written and stops on Ctrl+C", async () => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEEL_")));
    const child = spawn(process.execPath, [CLI, "logs", "-f", "-n", "1", "--interval", "100"], {
      env: { ...clean, ...gw.env, NO_COLOR: "1" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      // The tail is printed: from here the follower polls from the cursor that page returned.
      await eventually(() => out.length > 0, { message: "the follower's first page" });
      // A refused connect is logged by the gateway: a fresh line for the follower to pick up.
      await keel(["health", "--token", "wrong-token-for-follow"], gw.env);
      await expect.poll(() => out, { timeout: 5_000 }).toMatch(/connect refused: unauthorized/);
      child.kill("SIGINT");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("config get prints the redacted config, or one key", async () => {
    const r = await keel(["config", "get", "--json"], gw.env);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    expect(got).toMatchObject({
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      config: { gateway: { bind: "loopback" } },
    });
    const one = await keel(["config", "get", "gateway.bind"], gw.env);
    expect(one.stdout).toBe("loopback\n");
    const missing = await keel(["config", "get", "gateway.nope"], gw.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^keel: no config key gateway\.nope/);
  });

  it("doctor: the local setup checks out, and a gateway without any provider is the one problem", async () => {
    const r = await keel(["doctor", "--json"], gw.env);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    const byName = Object.fromEntries(report.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName.gateway).toMatchObject({ status: "ok" });
    expect(byName.auth.message).toContain(join(gw.stateDir, "gateway-token"));
    const fails = report.checks.filter((c: { status: string }) => c.status === "fail");
    expect(fails.map((c: { name: string }) => c.name)).toEqual(["models"]);
    const human = await keel(["doctor"], gw.env);
    expect(human.stdout).toMatch(/1 problem\(s\) found/);
  });

  it("explicit --url with --token works; --url never falls back to the local token file", async () => {
    const token = readFileSync(join(gw.stateDir, "gateway-token"), "utf8").trim();
    const url = `ws://127.0.0.1:${gw.port}`;
    const ok = await keel(["gateway", "call", "health", "--url", url, "--token", token]);
    expect(ok.code).toBe(0);
    const viaEnv = await keel(["health", "--json"], { KEEL_GATEWAY_URL: url, KEEL_GATEWAY_TOKEN: token });
    expect(viaEnv.code).toBe(0);
    // Same state dir in the env, but an explicit URL: the token file must not be used.
    const none = await keel(["health", "--url", url], { KEEL_STATE_DIR: gw.stateDir });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/token missing/);
    expect(none.stderr).toMatch(/pass --token or --password/);
  });
});
