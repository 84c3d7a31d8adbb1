import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openClient } from "../helpers/ws.js";

const CLI = join(import.meta.dirname, "../../dist/keel.mjs");

describe("keel gateway run (built CLI) and SIGTERM", () => {
  it("a connected client gets `shutdown`, then close 1012, and the process exits 0", async () => {
    expect(existsSync(CLI), "build first: npx tsc -p tsconfig.build.json").toBe(true);
    const stateDir = mkdtempSync(join(tmpdir(), "keel-cli-test-"));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEEL_")));
    const child = spawn(
      process.execPath,
      [CLI, "gateway", "run", "--port", "0", "--state-dir", stateDir, "--token", "cli-test-token"],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const onData = () => {
          const m = /keel gateway listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        };
        child.stdout.on("data", onData);
        void exited.then(() => reject(new Error(`exited before listening:\n${out}`)));
      });
      // Connect may race the startup steps: retry the retryable startup-sidecars answer.
      let client: Awaited<ReturnType<typeof openClient>> | undefined;
      for (let i = 0; i < 50 && !client; i++) {
        client = await openClient(`ws://127.0.0.1:${port}`, { auth: { token: "cli-test-token" } }).catch(
          async () => {
            await new Promise((r) => setTimeout(r, 100));
            return undefined;
          },
        );
      }
      await using s = client!;
      child.kill("SIGTERM");
      const shutdown = await s.event("shutdown");
      expect(shutdown.payload).toEqual({ reason: "shutdown" });
      expect(await s.closed).toEqual({ code: 1012, reason: "service restart" });
      const order = s.frames.map((f) => f.event ?? f.type);
      expect(order.indexOf("shutdown")).toBe(order.length - 1);
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
