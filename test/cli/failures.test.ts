// The CLI when things go wrong: no gateway, wrong token, a gateway still starting, bad config, bad usage.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../client/fake-server.js";
import { startGateway, TEST_TOKEN } from "../helpers/gateway.js";
import { spawnGateway } from "../helpers/process.js";
import { keel } from "./run.js";

/** No stack trace: every stderr line is a `keel:` line or its indented hint. */
function expectOneLine(stderr: string) {
  const lines = stderr.trim().split("\n");
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(lines[0]).toMatch(/^keel: /);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe("keel with no gateway running", () => {
  it("says it cannot reach the gateway and how to start it (exit 1)", async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "keel-cli-none-"));
    try {
      const env = { KEEL_STATE_DIR: dir, KEEL_GATEWAY_PORT: String(port) };
      for (const args of [
        ["health"],
        ["status"],
        ["gateway", "call", "health"],
        ["gateway", "status"],
        ["logs"],
      ]) {
        const r = await keel(args, env);
        expect(r.code, args.join(" ")).toBe(1);
        expectOneLine(r.stderr);
        expect(r.stderr).toContain(
          `keel: cannot reach the gateway at ws://127.0.0.1:${port} (connection refused)`,
        );
        expect(r.stderr).toContain("start it with `keel gateway run`");
      }
      const probe = await keel(["gateway", "probe", "--json"], env);
      expect(probe.code).toBe(1);
      expect(JSON.parse(probe.stdout)).toMatchObject({ reachable: false });
      const status = await keel(["gateway", "status", "--json"], env);
      expect(JSON.parse(status.stdout)).toMatchObject({ running: false, url: `ws://127.0.0.1:${port}` });
      // Doctor: an unstarted gateway is only a warning; the missing provider is the one failure.
      const doc = await keel(["doctor", "--json"], env);
      expect(doc.code).toBe(1);
      const checks = JSON.parse(doc.stdout).checks as { name: string; status: string; message: string }[];
      expect(checks.filter((c) => c.status === "fail").map((c) => c.name)).toEqual(["models"]);
      expect(checks.find((c) => c.name === "gateway")).toMatchObject({
        status: "warn",
        message: "not running",
      });
      expect(checks.find((c) => c.name === "port")?.message).toBe(`${port} is free`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a remote URL gets a hint about the URL, not about starting a local gateway", async () => {
    const port = await freePort();
    const r = await keel(["health", "--url", `ws://127.0.0.1:${port}`, "--token", "x"]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/check the URL/);
  });
});

describe("keel with the wrong credentials", () => {
  it("reports the refusal in one line with where the token came from; probe still exits 0", async () => {
    await using gw = await spawnGateway();
    const r = await keel(["health", "--token", "wrong"], gw.env);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(
      /^keel: the gateway refused the credentials: unauthorized: gateway token mismatch/,
    );
    expect(r.stderr).toMatch(/check the --token\/--password you passed/);
    const json = await keel(["gateway", "call", "health", "--json"], {
      ...gw.env,
      KEEL_GATEWAY_TOKEN: "wrong",
    });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      error: { details: { code: "AUTH_TOKEN_MISMATCH" } },
    });
    // Reachable but refused: the probe's job is to say so, and that is not a failure.
    const probe = await keel(["gateway", "probe", "--json", "--token", "wrong"], gw.env);
    expect(probe.code).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({
      reachable: true,
      error: expect.stringMatching(/mismatch/),
    });
    const doc = await keel(["doctor", "--json"], { ...gw.env, KEEL_GATEWAY_TOKEN: "wrong" });
    expect(doc.code).toBe(1);
    const gateway = JSON.parse(doc.stdout).checks.find((c: { name: string }) => c.name === "gateway");
    expect(gateway).toMatchObject({
      status: "fail",
      message: expect.stringMatching(/refused the credentials/),
    });
  });
});

describe("keel and a gateway still in its startup steps", () => {
  it("waits within its timeout and succeeds once startup is done", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    await using gw = await startGateway({ waitReady: false, steps: [{ name: "held", run: () => held }] });
    const t0 = Date.now();
    const pending = keel(["health", "--json", "--url", gw.url, "--token", TEST_TOKEN, "--timeout", "10000"]);
    setTimeout(release, 1_200);
    const r = await pending;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_100);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, startup: { phase: "ready" } });
  });

  it("says the gateway is still starting when the timeout runs out (exit 1)", async () => {
    await using gw = await startGateway({
      waitReady: false,
      steps: [{ name: "held", run: (signal) => new Promise((r) => signal.addEventListener("abort", r)) }],
    });
    const r = await keel(["health", "--url", gw.url, "--token", TEST_TOKEN, "--timeout", "1200"]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/still starting after \d+ ms/);
  });
});

describe("keel usage and config errors", () => {
  it("a broken config file is exit 78 naming the key; doctor reports it and exits 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-cli-badcfg-"));
    try {
      writeFileSync(join(dir, "keel.json"), '{ gateway: { port: "nope" } }');
      const r = await keel(["health"], { KEEL_STATE_DIR: dir });
      expect(r.code).toBe(78);
      expect(r.stderr).toMatch(/gateway\.port/);
      const doc = await keel(["doctor", "--json"], { KEEL_STATE_DIR: dir });
      expect(doc.code).toBe(1);
      const cfg = JSON.parse(doc.stdout).checks.find((c: { name: string }) => c.name === "config");
      expect(cfg).toMatchObject({ status: "fail", message: expect.stringMatching(/gateway\.port/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("bad flags and params are usage errors (exit 2)", async () => {
    for (const args of [
      ["gateway", "call", "health", "--params", "{bad", "--url", "ws://127.0.0.1:1"],
      ["gateway", "call", "health", "--params", "[1]", "--url", "ws://127.0.0.1:1"],
      ["health", "--timeout", "soon"],
      ["health", "--url", "http://127.0.0.1:1"],
      ["no-such-command"],
    ]) {
      const r = await keel(args);
      expect(r.code, args.join(" ")).toBe(2);
    }
  });

  it("--help works on every command", async () => {
    const commands = [
      ["gateway", "call"],
      ["gateway", "status"],
      ["gateway", "probe"],
      ["health"],
      ["status"],
      ["logs"],
      ["config", "get"],
      ["doctor"],
    ];
    const results = await Promise.all(commands.map((c) => keel([...c, "--help"])));
    for (const [i, r] of results.entries()) {
      expect(r.code, commands[i]!.join(" ")).toBe(0);
      expect(r.stdout).toContain(`Usage: keel ${commands[i]!.join(" ")}`);
      expect(r.stdout).toContain("--url <url>");
    }
  });
});
