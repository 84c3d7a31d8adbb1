// Test helper: runs the built `keel` CLI once and captures stdout, stderr and the exit code.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { CLI, runKeel, tempDir, waitFor } from "../gateway/spawn.js";

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `keel …args` with only the given KEEL_* variables (the parent's are not inherited). */
export function keel(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Result> {
  if (!existsSync(CLI)) throw new Error("build first: npm run build");
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEEL_")));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...clean, NO_COLOR: "1", ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
        resolve({ code: typeof code === "number" ? code : null, stdout, stderr });
      },
    );
  });
}

/** A real gateway process (`keel gateway run --port 0`) in a temp state dir, ready to serve. */
export async function spawnGateway(extra: string[] = []) {
  const dir = tempDir("keel-cli-test-");
  const running = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path, ...extra]);
  const port = await running.port;
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${port}/startupz`).catch(() => undefined))?.status === 200,
    15_000,
    "gateway startup",
  );
  return {
    port,
    stateDir: dir.path,
    pid: running.child.pid,
    /** The env that points the CLI's local resolution (port from config) at this gateway. */
    env: { KEEL_GATEWAY_PORT: String(port), KEEL_STATE_DIR: dir.path },
    output: running.output,
    async [Symbol.asyncDispose]() {
      running.child.kill("SIGTERM");
      await running.exited;
      dir[Symbol.dispose]();
    },
  };
}
