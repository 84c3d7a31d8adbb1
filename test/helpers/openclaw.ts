// Test helper: the real OpenClaw CLI (path from KEEL_OPENCLAW_BIN) as a child process in a fresh home.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VENDOR_ENV } from "./process.js";

/** The OpenClaw CLI to drive (`<prefix>/node_modules/.bin/openclaw`), or undefined: skip. */
export const OPENCLAW_BIN: string | undefined = process.env.KEEL_OPENCLAW_BIN || undefined;

/** Variables a CLI child must not inherit from the test process. */
const INHERITED_NOT = /^(OPENCLAW_|KEEL_|VITEST|TEST$|NODE_ENV$|NODE_OPTIONS$|TINYPOOL)/;

export interface OpenClawResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr as they interleaved. */
  output: string;
}

export interface OpenClawHome {
  /** HOME of every command run through it: holds only the config written here. */
  home: string;
  /** Runs `openclaw …args` against the configured gateway; never rejects on a non-zero exit. */
  run(args: string[], options?: { timeoutMs?: number }): Promise<OpenClawResult>;
  /**
   * Runs `openclaw …args` on a pseudo-terminal (util-linux `script`), for the TUI: once `until`
   * holds for the output so far, sends Ctrl-C, and Ctrl-C again when the TUI asks for it.
   */
  runInTerminal(
    args: string[],
    until: (output: string) => boolean,
    timeoutMs?: number,
  ): Promise<OpenClawResult>;
  [Symbol.dispose](): void;
}

/**
 * A fresh HOME whose OpenClaw config points the CLI's local-loopback gateway at `port` with
 * `token`, logs into the temp dir (not /tmp/openclaw) and turns off update checks and Bonjour,
 * so a command never reaches past 127.0.0.1 or writes outside the dir.
 */
export function openclawHome(bin: string, port: number, token: string): OpenClawHome {
  const home = mkdtempSync(join(tmpdir(), "keel-openclaw-"));
  const stateDir = join(home, ".openclaw");
  mkdirSync(stateDir);
  const config = {
    gateway: { mode: "local", port, auth: { mode: "token", token } },
    logging: { file: join(home, "openclaw.log") },
    update: { checkOnStart: false },
  };
  writeFileSync(join(stateDir, "openclaw.json"), JSON.stringify(config, null, 2));
  // Only what a shell gives any command: none of the developer's OpenClaw, Keel or vendor
  // settings, and none of vitest's (the CLI routes its console differently under VITEST).
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !INHERITED_NOT.test(k) && !VENDOR_ENV.test(k)),
  );
  const env: Record<string, string | undefined> = {
    ...base,
    HOME: home,
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_CONFIG_PATH: join(stateDir, "openclaw.json"),
    // An explicit port: without it a command such as `models list` looks for the lock file of a
    // gateway the CLI started itself, finds none and never asks the one listening.
    OPENCLAW_GATEWAY_PORT: String(port),
    OPENCLAW_NO_AUTO_UPDATE: "1",
    OPENCLAW_DISABLE_BONJOUR: "1",
    CI: "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_STATE_HOME: join(home, ".local/state"),
  };
  return {
    home,
    run: (args, options = {}) => runOpenClaw(bin, args, env, options.timeoutMs ?? 45_000),
    runInTerminal: (args, until, timeoutMs = 45_000) =>
      runInTerminal(
        bin,
        args,
        { ...env, TERM: "xterm-256color", COLUMNS: "100", LINES: "30" },
        until,
        timeoutMs,
      ),
    [Symbol.dispose]: () => rmSync(home, { recursive: true, force: true }),
  };
}

function runOpenClaw(
  bin: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<OpenClawResult> {
  return new Promise((resolve, reject) => {
    // No stdin and no TTY, as in CI: a command that would prompt must refuse instead of hanging.
    // This Node runs it: the suite's Node 24 leg is the one that sets KEEL_OPENCLAW_BIN.
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (d: Buffer) => ((stdout += d), (output += d)));
    child.stderr.on("data", (d: Buffer) => ((stderr += d), (output += d)));
    settle(child, timeoutMs, resolve, reject, (code, signal) => ({ code, signal, stdout, stderr, output }));
  });
}

/**
 * Ends a command's promise when it closes (or fails to start). A hung command is killed after
 * `timeoutMs`: a failure with its output, not a test timeout without it.
 */
function settle(
  child: ChildProcess,
  timeoutMs: number,
  resolve: (r: OpenClawResult) => void,
  reject: (err: Error) => void,
  result: (code: number | null, signal: NodeJS.Signals | null) => OpenClawResult,
): void {
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  child.once("error", (err) => {
    clearTimeout(timer);
    reject(err);
  });
  child.once("close", (code, signal) => {
    clearTimeout(timer);
    resolve(result(code, signal));
  });
}

/** Whether util-linux `script` is there to give a command a pseudo-terminal. */
export const HAS_SCRIPT = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;

const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/** Escape sequences out, so a test can match what the terminal showed. */
export const plain = (text: string) =>
  text.replace(/\x1b\[[0-9;?<>=]*[a-zA-Z~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[=>78]/g, "");

function runInTerminal(
  bin: string,
  args: string[],
  env: Record<string, string | undefined>,
  until: (output: string) => boolean,
  timeoutMs: number,
): Promise<OpenClawResult> {
  return new Promise((resolve, reject) => {
    const line = [process.execPath, bin, ...args].map(quote).join(" ");
    // stdin stays an open pipe: `script` forwards it to the terminal, and EOF would end the TUI.
    const child = spawn("script", ["-qfec", line, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let stage: "running" | "interrupted" | "confirmed" = "running";
    const onData = (d: Buffer) => {
      output += d;
      const shown = plain(output);
      if (stage === "running" && until(shown)) {
        stage = "interrupted";
        child.stdin.write("\x03");
      } else if (stage === "interrupted" && /press ctrl\+c again to exit/i.test(shown)) {
        stage = "confirmed";
        child.stdin.write("\x03");
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    settle(child, timeoutMs, resolve, reject, (code, signal) => ({
      code,
      signal,
      stdout: output,
      stderr: "",
      output,
    }));
  });
}
