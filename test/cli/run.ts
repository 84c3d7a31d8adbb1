// Test helper: runs the built `keel` CLI once and captures stdout, stderr and the exit code.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { CLI, VENDOR_ENV } from "../helpers/process.js";

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `keel …args` with only the given KEEL_* variables (the parent's are not inherited). */
export function keel(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Result> {
  if (!existsSync(CLI)) throw new Error("build first: npm run build");
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("KEEL_") && !VENDOR_ENV.test(k)),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...clean, NO_COLOR: "1", ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
        resolve({
          code: typeof code === "number" ? code : null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** A `keel` child with stdin as a pipe: write lines, wait for output, signal it, await its exit. */
export interface Interactive {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Writes `text` and a newline to stdin. */
  line(text: string): void;
  /** Resolves once stdout matches `pattern` (searching from `from`), with the match. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Spawns `keel …args` (stdin a pipe, so not a TTY) with only the given KEEL_* variables. */
export function keelInteractive(args: string[], env: Record<string, string> = {}): Interactive {
  if (!existsSync(CLI)) throw new Error("build first: npm run build");
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("KEEL_") && !VENDOR_ENV.test(k)),
  );
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...clean, NO_COLOR: "1", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (d) => {
    out += d;
    for (const w of waiters) w();
  });
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve) =>
    child.once("exit", (code, signal) => {
      resolve({ code, signal });
      for (const w of waiters) w();
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    line: (text) => child.stdin!.write(`${text}\n`),
    waitFor(pattern, from = 0, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out.slice(from));
          if (m) done(() => resolve(m));
          else if (child.exitCode !== null || child.signalCode !== null) {
            done(() => reject(new Error(`keel exited before ${pattern}:\n${out}\n${err}`)));
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`timed out waiting for ${pattern}:\n${out}\n${err}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    exited,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** The newest user message of a vendor request body (what the fake vendor was asked). */
export const lastUser = (body: any): string =>
  String((body?.messages ?? []).filter((m: any) => m.role === "user").at(-1)?.content ?? "");
