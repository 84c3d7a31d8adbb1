import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireStateLock, LockError, readStateLock } from "../../src/lifecycle/lock.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), "keel-lock-"));
  dirs.push(d);
  return d;
}

describe("state dir lock", () => {
  it("a second owner is refused with the first owner's pid", async () => {
    const dir = stateDir();
    // A live process other than us holds the lock.
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      const first = acquireStateLock(dir, child.pid!);
      expect(JSON.parse(readFileSync(first.path, "utf8")).pid).toBe(child.pid);
      expect(() => acquireStateLock(dir)).toThrow(LockError);
      expect(() => acquireStateLock(dir)).toThrow(`gateway already running (pid ${child.pid})`);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("a lock left by a dead process is taken over", async () => {
    const dir = stateDir();
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    await new Promise((r) => child.once("exit", r));
    writeFileSync(join(dir, "gateway.lock"), JSON.stringify({ pid: child.pid }));
    const lock = acquireStateLock(dir);
    expect(JSON.parse(readFileSync(lock.path, "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("a garbage lock file is taken over", () => {
    const dir = stateDir();
    writeFileSync(join(dir, "gateway.lock"), "garbage");
    const lock = acquireStateLock(dir);
    lock.release();
    expect(() => readFileSync(lock.path)).toThrow();
  });

  it("records where the gateway listens; readers see it only while the owner lives", async () => {
    const dir = stateDir();
    const lock = acquireStateLock(dir);
    expect(readStateLock(dir)).toEqual({ pid: process.pid, startedAt: expect.any(String) });
    lock.recordListener({ port: 4321, host: "127.0.0.1" });
    expect(readStateLock(dir)).toMatchObject({ pid: process.pid, port: 4321, host: "127.0.0.1" });
    // Still the same lock: a second owner is refused, release removes it.
    expect(() => acquireStateLock(dir, process.pid + 1)).toThrow(LockError);
    lock.release();
    expect(readStateLock(dir)).toBeUndefined();

    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    await new Promise((r) => child.once("exit", r));
    writeFileSync(join(dir, "gateway.lock"), JSON.stringify({ pid: child.pid, port: 4321 }));
    expect(readStateLock(dir)).toBeUndefined();
  });
});
