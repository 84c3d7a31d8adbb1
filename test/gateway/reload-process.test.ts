// The gateway process and its config file: a bad file at start runs on the last good copy, SIGTERM
// drains runs, and `keel gateway restart` applies the keys waiting for a restart.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileHash } from "../../src/config/load.js";
import { readStateLock } from "../../src/lifecycle/lock.js";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { runKeel, spawnGateway, tempDir } from "../helpers/process.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient } from "../helpers/ws.js";

const AUTH = { gateway: { auth: { mode: "token", token: TEST_TOKEN } } };
const ADMIN = { scopes: ["operator.admin"] };

async function startedPort(run: ReturnType<typeof runKeel>): Promise<number> {
  const port = await run.port;
  await eventually(async () => (await fetch(`http://127.0.0.1:${port}/startupz`)).status === 200, {
    timeoutMs: 15_000,
    message: "the gateway to say started",
  });
  return port;
}

describe("config file and the gateway process", () => {
  it("started with an invalid file, runs on the last good config and says why; a fix then applies", async () => {
    using dir = tempDir();
    const file = join(dir.path, "keel.json");
    writeFileSync(file, JSON.stringify({ ...AUTH, agents: { defaults: { systemPrompt: "good" } } }));
    const first = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    await startedPort(first);
    first.child.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir.path, "keel.last-good.json"), "utf8"))).toMatchObject({
      agents: { defaults: { systemPrompt: "good" } },
    });

    const bad = `{ gateway: { auth: { mode: "token", token: "${TEST_TOKEN}" } }, runs: { maxConcurrent: 0 }, agents: { defaults: { systemPrompt: "bad", nope: 1 } } }`;
    writeFileSync(file, bad);
    const second = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    try {
      const port = await startedPort(second);
      expect(second.output()).toContain("started on the last good config");
      expect(second.output()).toContain("runs.maxConcurrent");
      await using s = await openClient(`ws://127.0.0.1:${port}`, ADMIN);
      const { config } = (await s.request("status", {})).payload;
      expect(config).toMatchObject({ startedOnLastGood: true, lastReload: { ok: false, trigger: "start" } });
      expect(config.lastReload.problems.map((p: { path: string }) => p.path).sort()).toEqual([
        "agents.defaults.nope",
        "runs.maxConcurrent",
      ]);
      const got = (await s.request("config.get", {})).payload;
      expect(got.config.agents.defaults.systemPrompt).toBe("good");
      expect(got.hash).toBe(fileHash(readFileSync(file))); // the file on disk, which a fix must name

      const fixed = await s.request("config.patch", {
        raw: JSON.stringify({ ...AUTH, agents: { defaults: { systemPrompt: "fixed" } } }),
        baseHash: got.hash,
      });
      expect(fixed.ok).toBe(true);
      expect((await s.request("config.get", {})).payload.config.agents.defaults.systemPrompt).toBe("fixed");
    } finally {
      second.child.kill("SIGTERM");
      expect((await second.exited).code).toBe(0);
    }
  });

  it("exits 78 on an invalid file with no good copy, or with keepLastGood turned off in it", async () => {
    using dir = tempDir();
    const file = join(dir.path, "keel.json");
    writeFileSync(file, `{ runs: { maxConcurrent: 0 } }`);
    const first = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    expect((await first.exited).code).toBe(78);
    expect(first.output()).toContain("runs.maxConcurrent");

    writeFileSync(join(dir.path, "keel.last-good.json"), "{}");
    writeFileSync(file, `{ gateway: { reload: { keepLastGood: false } }, runs: { maxConcurrent: 0 } }`);
    const second = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    expect((await second.exited).code).toBe(78);
  });

  it("SIGTERM lets an active run finish (new runs refused meanwhile), then exits 0", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await using gw = await gatewayWithFakeVendor([step.reply("done before exit", { gate })], {
      mode: "process",
      config: AUTH,
    });
    await using s = await openClient(gw.url, { scopes: ["operator.write"] });
    await s.request("chat.send", { sessionKey: "a", message: "one", idempotencyKey: "p-1" });
    await s.next((f) => f.event === "chat" && f.payload.runId === "p-1" && f.payload.state === "delta");
    gw.child.kill("SIGTERM");
    // Until the signal lands a send is admitted: each try has its own key, or it would be a duplicate.
    let attempt = 0;
    await eventually(async () => {
      const idempotencyKey = `p-2-${attempt++}`;
      const res = await s.request("chat.send", { sessionKey: "b", message: "two", idempotencyKey });
      expect(res.error).toMatchObject({ code: "UNAVAILABLE", details: { reason: "gateway-closing" } });
    });
    release();
    const final = await s.next(
      (f) => f.event === "chat" && f.payload.runId === "p-1" && f.payload.state === "final",
    );
    expect(final.payload.message.content[0].text).toBe("done before exit");
    expect((await gw.exited).code).toBe(0);
  });

  it("keel gateway restart applies a pending restart key in the same process", async () => {
    await using gw = await spawnGateway([], AUTH);
    const file = join(gw.stateDir, "keel.json");
    {
      await using s = await openClient(gw.url, ADMIN);
      writeFileSync(file, JSON.stringify({ ...AUTH, gateway: { ...AUTH.gateway, tickIntervalMs: 5_000 } }));
      await eventually(async () =>
        expect((await s.request("status", {})).payload.config.pendingRestart).toEqual([
          "gateway.tickIntervalMs",
        ]),
      );
    }
    const shown = runKeel(["status"], gw.env);
    expect((await shown.exited).code).toBe(0);
    expect(shown.output()).toContain("Pending restart: gateway.tickIntervalMs");
    const restart = runKeel(["gateway", "restart", "--state-dir", gw.stateDir]);
    expect((await restart.exited).code).toBe(0);
    expect(restart.output()).toContain(`gateway restarted (pid ${gw.pid}`);
    const port = readStateLock(gw.stateDir)?.port;
    await using s = await openClient(`ws://127.0.0.1:${port}`, ADMIN);
    expect((await s.request("config.get", {})).payload.config.gateway.tickIntervalMs).toBe(5_000);
    expect((await s.request("status", {})).payload.config.pendingRestart).toEqual([]);
  });

  it("keel gateway restart with no gateway running exits 1", async () => {
    using dir = tempDir();
    const run = runKeel(["gateway", "restart", "--state-dir", dir.path]);
    expect((await run.exited).code).toBe(1);
    expect(run.output()).toContain("no gateway is running");
  });
});
