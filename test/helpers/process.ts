// Test helper: the built `keel` CLI as a child process, and a real gateway process in a temp state dir.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./eventually.js";

export const CLI = join(import.meta.dirname, "../../dist/keel.mjs");

/**
 * Vendor variables a child must not inherit from the developer's shell: OPENAI_API_KEY alone
 * would configure a provider in a gateway the test meant to have none.
 */
export const VENDOR_ENV = /^((OPENAI|ANTHROPIC)_(API_KEY|BASE_URL)|(https?|no|all)_proxy)$/i;

export interface Running {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the port from the "listening" log line. */
  port: Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** How to launch the child: `ulimitFiles` runs it under `bash -c "ulimit -n N; exec node …"`. */
export interface LaunchOptions {
  ulimitFiles?: number;
}

/** Starts `keel …args` with the given env (KEEL_* from the parent are not inherited). */
export function runKeel(
  args: string[],
  env: Record<string, string> = {},
  launch: LaunchOptions = {},
): Running {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("KEEL_") && !VENDOR_ENV.test(k)),
  );
  const argv = [CLI, ...args];
  const [cmd, cmdArgs] =
    launch.ulimitFiles === undefined
      ? [process.execPath, argv]
      : ["bash", ["-c", `ulimit -n ${launch.ulimitFiles} && exec "$0" "$@"`, process.execPath, ...argv]];
  const child = spawn(cmd, cmdArgs, {
    env: { ...clean, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const port = new Promise<number>((resolve, reject) => {
    const onData = () => {
      const m = /listening on ws:\/\/[0-9.]+:(\d+)/.exec(out);
      if (m) {
        child.stdout!.off("data", onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", onData);
    void exited.then(() => reject(new Error(`keel exited before listening:\n${out}`)));
  });
  port.catch(() => {});
  return { child, output: () => out, port, exited };
}

/** A fresh temp dir, removed on dispose. */
export function tempDir(prefix = "keel-test-"): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** A gateway process from spawnGateway; `await using` stops it (SIGTERM) and removes its dir. */
export interface GatewayProcess {
  port: number;
  /** ws://127.0.0.1:PORT */
  url: string;
  stateDir: string;
  pid: number | undefined;
  /** The child itself (send it a signal) and its exit. */
  child: ChildProcess;
  exited: Running["exited"];
  /** The env that points the CLI's local resolution (port from config) at this gateway. */
  env: Record<string, string>;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A real gateway process (`keel gateway run --port 0`) in a temp state dir, resolved once
 * /startupz says started. `config` is written to `<stateDir>/keel.json` first.
 */
export async function spawnGateway(
  extra: string[] = [],
  config?: Record<string, unknown>,
  options: {
    env?: Record<string, string>;
    prepare?: (stateDir: string) => void;
    launch?: LaunchOptions;
  } = {},
): Promise<GatewayProcess> {
  const dir = tempDir("keel-cli-test-");
  if (config) writeFileSync(join(dir.path, "keel.json"), JSON.stringify(config, null, 2));
  options.prepare?.(dir.path);
  const running = runKeel(
    ["gateway", "run", "--port", "0", "--state-dir", dir.path, ...extra],
    options.env,
    options.launch,
  );
  const stop = async () => {
    if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill("SIGTERM");
    await running.exited;
    dir[Symbol.dispose]();
  };
  try {
    const port = await running.port;
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${port}/startupz`).catch(() => undefined))?.status === 200,
      { timeoutMs: 15_000, intervalMs: 20, message: "the gateway process's /startupz to say started" },
    );
    return {
      port,
      url: `ws://127.0.0.1:${port}`,
      stateDir: dir.path,
      pid: running.child.pid,
      child: running.child,
      exited: running.exited,
      env: { KEEL_GATEWAY_PORT: String(port), KEEL_STATE_DIR: dir.path },
      output: running.output,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
