// How local CLI commands find their gateway: the port a running gateway recorded in its lock file,
// and only the config's gateway section (a provider's ${VAR} is the gateway's business).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readStateLock } from "../../src/lifecycle/lock.js";
import { eventually } from "../helpers/eventually.js";
import { refusedPort } from "../helpers/ports.js";
import { runKeel, tempDir } from "../helpers/process.js";
import { keel } from "./run.js";

/** A loopback port nothing listens on. */
const closedPort = refusedPort;

/** The README's own example: a provider whose key comes from the gateway's environment. */
function litellmConfig(gatewayPort: number): Record<string, unknown> {
  return {
    gateway: { port: gatewayPort },
    models: {
      providers: {
        local: {
          baseUrl: "http://127.0.0.1:4000/v1",
          apiKey: "${LITELLM_KEY}",
          models: [{ id: "llama-3.1-8b" }],
        },
      },
    },
    agents: { defaults: { model: "local/llama-3.1-8b" } },
  };
}

/** Waits until the gateway of `stateDir` has recorded its port, and returns it. */
const recordedPort = (stateDir: string) =>
  eventually(() => readStateLock(stateDir)?.port ?? false, {
    timeoutMs: 15_000,
    intervalMs: 20,
    message: "the port in gateway.lock",
  });

describe("local gateway discovery", () => {
  it("`gateway run --port 0` is found by `keel health` with no --url; the config's ${VAR} outside `gateway` is not needed", async () => {
    using dir = tempDir("keel-discovery-");
    const configPort = await closedPort();
    writeFileSync(join(dir.path, "keel.json"), JSON.stringify(litellmConfig(configPort)));
    const gw = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path], {
      LITELLM_KEY: "sk-test",
    });
    try {
      const port = await gw.port;
      expect(port).not.toBe(configPort);
      expect(await recordedPort(dir.path)).toBe(port);
      // The CLI's shell has neither LITELLM_KEY nor any port: only the state dir.
      const env = { KEEL_STATE_DIR: dir.path };
      const health = await keel(["health"], env);
      expect(health.stderr).toBe("");
      expect(health.code).toBe(0);
      expect(health.stdout).toMatch(/^Health\s+ok$/m);
      const status = await keel(["status", "--json"], env);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout).status).toMatchObject({ port, pid: gw.child.pid });

      // The gateway itself does need the variable: without it, a config error (78) naming it.
      using other = tempDir("keel-discovery-");
      writeFileSync(join(other.path, "keel.json"), JSON.stringify(litellmConfig(0)));
      const refused = await keel(["gateway", "run", "--state-dir", other.path]);
      expect(refused.code).toBe(78);
      expect(refused.stderr).toMatch(
        /models\.providers\.local\.apiKey: environment variable LITELLM_KEY is not set/,
      );
    } finally {
      gw.child.kill("SIGTERM");
      expect((await gw.exited).code).toBe(0);
    }
  });

  it("a lock left by a dead gateway is ignored: the configured port is used", async () => {
    using dir = tempDir("keel-discovery-");
    const configPort = await closedPort();
    writeFileSync(join(dir.path, "keel.json"), JSON.stringify({ gateway: { port: configPort } }));
    const gw = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    const port = await gw.port;
    expect(await recordedPort(dir.path)).toBe(port);
    gw.child.kill("SIGKILL");
    await gw.exited;
    // kill -9 left the lock behind, naming a port that is no longer this gateway's.
    expect(readStateLock(dir.path)).toBeUndefined();
    const r = await keel(["health"], { KEEL_STATE_DIR: dir.path });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the gateway at ws://127.0.0.1:${configPort}`);
  });

  it("a ${VAR} the gateway section itself needs is still a config error for the CLI (78)", async () => {
    using dir = tempDir("keel-discovery-");
    writeFileSync(
      join(dir.path, "keel.json"),
      JSON.stringify({ gateway: { auth: { mode: "token", token: "${KEEL_TEST_UNSET_TOKEN}" } } }),
    );
    const r = await keel(["health"], { KEEL_STATE_DIR: dir.path });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/gateway\.auth\.token: environment variable KEEL_TEST_UNSET_TOKEN is not set/);
  });

  it("a gateway whose stdout reader went away keeps serving, and stops cleanly", async () => {
    using dir = tempDir("keel-discovery-");
    const gw = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    // As `keel gateway run | head -1` after head exits: every later log line hits a closed pipe.
    gw.child.stdout!.destroy();
    try {
      await recordedPort(dir.path);
      for (let i = 0; i < 3; i++) {
        const r = await keel(["health"], { KEEL_STATE_DIR: dir.path });
        expect(r.code).toBe(0);
      }
      expect(gw.child.exitCode).toBeNull();
    } finally {
      gw.child.kill("SIGTERM");
      expect(await gw.exited).toEqual({ code: 0, signal: null });
    }
  });

  it("a live lock whose port does not answer says so, instead of 'start it'", async () => {
    using dir = tempDir("keel-discovery-");
    const port = await closedPort();
    // This test process is alive: the lock looks like a running gateway's.
    writeFileSync(
      join(dir.path, "gateway.lock"),
      JSON.stringify({ pid: process.pid, port, host: "127.0.0.1" }),
    );
    const r = await keel(["health"], { KEEL_STATE_DIR: dir.path });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `keel: cannot reach the gateway at ws://127.0.0.1:${port} (connection refused)\n` +
        `      the gateway of ${dir.path} recorded this port in its lock file but does not answer; \`keel logs\` shows what it did\n`,
    );
  });
});
