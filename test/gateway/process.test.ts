import { readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runKeel, tempDir } from "../helpers/process.js";

describe("keel gateway run (process)", () => {
  it("an invalid config exits 78 and lists every problem with its path", async () => {
    using dir = tempDir();
    writeFileSync(
      join(dir.path, "keel.json"),
      `{ gateway: { port: "x", nope: 1 }, agents: { entries: { main: { model: 5 } } } }`,
    );
    const run = runKeel(["gateway", "run", "--state-dir", dir.path]);
    const { code } = await run.exited;
    expect(code).toBe(78);
    const out = run.output();
    expect(out).toContain("gateway.port");
    expect(out).toContain("gateway.nope: unknown key");
    expect(out).toContain("agents.entries.main.model");
    expect(out).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("generates a token (0600) on first run, reuses it, and exits 0 on SIGTERM", async () => {
    using dir = tempDir();
    const first = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    await first.port;
    const tokenFile = join(dir.path, "gateway-token");
    const token = readFileSync(tokenFile, "utf8").trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(dir.path).mode & 0o777).toBe(0o700);
    expect(first.output()).toContain("generated a gateway token");
    expect(first.output()).not.toContain(token);
    const t0 = Date.now();
    first.child.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
    // Far inside the default 10 s shutdown bound, with nothing to drain.
    expect(Date.now() - t0).toBeLessThan(10_000);

    const second = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    await second.port;
    expect(readFileSync(tokenFile, "utf8").trim()).toBe(token);
    expect(second.output()).not.toContain("generated a gateway token");
    second.child.kill("SIGINT");
    expect((await second.exited).code).toBe(0);
  });

  it("a second gateway on the same state dir exits 1 naming the running pid", async () => {
    using dir = tempDir();
    const first = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    await first.port;
    try {
      const second = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
      const { code } = await second.exited;
      expect(code).toBe(1);
      const errors = second
        .output()
        .split("\n")
        .filter((l) => l.startsWith("keel:"));
      expect(errors).toEqual([
        `keel: gateway already running (pid ${first.child.pid}) for state dir ${dir.path}`,
      ]);
    } finally {
      first.child.kill("SIGTERM");
      await first.exited;
    }
  });

  it("a busy port is one line naming the port, exit 1, and the lock is released", async () => {
    using dir = tempDir();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = runKeel(["gateway", "run", "--port", String(port), "--state-dir", dir.path]);
      const { code } = await run.exited;
      expect(code).toBe(1);
      const lines = run
        .output()
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("keel:"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${port} is already in use`);
      expect(run.output()).not.toMatch(/\n\s+at /);
      expect(() => statSync(join(dir.path, "gateway.lock"))).toThrow();
    } finally {
      blocker.close();
    }
  });

  it('refuses --bind lan with auth mode "none"', async () => {
    using dir = tempDir();
    writeFileSync(join(dir.path, "keel.json"), `{ gateway: { auth: { mode: "none" } } }`);
    const run = runKeel(["gateway", "run", "--port", "0", "--bind", "lan", "--state-dir", dir.path]);
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.output()).toContain("refusing to bind to the LAN");
  });

  it("takes the port from KEEL_GATEWAY_PORT and the flag over it", async () => {
    using dir = tempDir();
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const free = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const run = runKeel(["gateway", "run", "--state-dir", dir.path], { KEEL_GATEWAY_PORT: String(free) });
    expect(await run.port).toBe(free);
    run.child.kill("SIGTERM");
    await run.exited;
    const flagged = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path], {
      KEEL_GATEWAY_PORT: String(free),
    });
    expect(await flagged.port).not.toBe(free);
    flagged.child.kill("SIGTERM");
    await flagged.exited;
  });

  it("writes JSON logs to <state>/logs/keel.log with secrets masked", async () => {
    using dir = tempDir();
    const secret = "tok-VERY-secret-123456";
    writeFileSync(join(dir.path, "keel.json"), `{ gateway: { auth: { token: "${secret}" } } }`);
    const run = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    await run.port;
    run.child.kill("SIGTERM");
    await run.exited;
    const log = readFileSync(join(dir.path, "logs", "keel.log"), "utf8");
    const lines = log
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.some((l) => l.msg.includes("listening"))).toBe(true);
    expect(log).not.toContain(secret);
  });
});
