import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { backoffDelay, RestartSentinel } from "../../src/lifecycle/backoff.js";

const cfg = loadConfig({ path: "/x", env: {} }).config.gateway.restartBackoff;
const MIN = 60_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) {
    chmodSync(d, 0o700);
    rmSync(d, { recursive: true, force: true });
  }
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), "keel-sentinel-"));
  dirs.push(d);
  return d;
}
/** A clock the test moves by hand. */
function clock(start = 1_800_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("crash-loop backoff (stability §5)", () => {
  it("defaults: 30 min window, threshold 3, 5 s doubling to 120 s, reset after 10 min", () => {
    expect(cfg).toEqual({
      rapidWindowMs: 30 * MIN,
      threshold: 3,
      initialDelayMs: 5_000,
      maxDelayMs: 120_000,
      stableAfterMs: 10 * MIN,
    });
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => backoffDelay(n, cfg))).toEqual([
      0, 0, 0, 0, 5_000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000,
    ]);
  });

  it("counts rapid starts and waits past the threshold, doubling to the cap", () => {
    const dir = stateDir();
    const c = clock();
    const s = new RestartSentinel(dir, cfg, c.now);
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      delays.push(s.recordStart().delayMs);
      c.advance(2 * MIN); // crashed and restarted two minutes later
    }
    expect(delays).toEqual([0, 0, 0, 0, 5_000, 10_000, 20_000, 40_000, 80_000, 120_000]);
    const onDisk = JSON.parse(readFileSync(join(dir, "restart-sentinel.json"), "utf8"));
    expect(onDisk.rapidCount).toBe(9);
  });

  it("a start outside the rapid window is a first start again", () => {
    const dir = stateDir();
    const c = clock();
    const s = new RestartSentinel(dir, cfg, c.now);
    for (let i = 0; i < 6; i++) {
      s.recordStart();
      c.advance(MIN);
    }
    c.advance(31 * MIN);
    expect(s.recordStart()).toEqual({ rapidCount: 0, delayMs: 0 });
  });

  it("stable uptime resets the count", () => {
    const dir = stateDir();
    const c = clock();
    const s = new RestartSentinel(dir, cfg, c.now);
    for (let i = 0; i < 5; i++) s.recordStart();
    expect(s.recordStart().delayMs).toBe(10_000);
    c.advance(10 * MIN);
    s.markStable();
    c.advance(MIN);
    expect(s.recordStart()).toEqual({ rapidCount: 1, delayMs: 0 });
  });

  it("a clean shutdown is not a crash", () => {
    const dir = stateDir();
    const c = clock();
    const s = new RestartSentinel(dir, cfg, c.now);
    for (let i = 0; i < 6; i++) s.recordStart();
    s.markCleanExit();
    c.advance(1_000);
    expect(s.recordStart()).toEqual({ rapidCount: 0, delayMs: 0 });
  });

  it("a new sentinel instance (a new process) reads the count from the file", () => {
    const dir = stateDir();
    const c = clock();
    for (let i = 0; i < 4; i++) new RestartSentinel(dir, cfg, c.now).recordStart();
    expect(new RestartSentinel(dir, cfg, c.now).recordStart().delayMs).toBe(5_000);
  });

  it.each([
    ["not json", "{{{"],
    ["wrong types", JSON.stringify({ lastStartAt: "yesterday", rapidCount: "many" })],
    ["empty", ""],
  ])("a corrupt sentinel (%s) is a first start, never a crash", (_name, text) => {
    const dir = stateDir();
    writeFileSync(join(dir, "restart-sentinel.json"), text);
    const d = new RestartSentinel(dir, cfg, clock().now).recordStart();
    expect(d.rapidCount).toBe(0);
    expect(d.delayMs).toBe(0);
    expect(d.note).toMatch(/corrupt/);
  });

  it("an unwritable state dir is a first start, never a crash", () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; use a path whose parent is a file instead.
      const dir = stateDir();
      writeFileSync(join(dir, "file"), "x");
      const d = new RestartSentinel(join(dir, "file"), cfg, clock().now).recordStart();
      expect(d).toMatchObject({ rapidCount: 0, delayMs: 0 });
      expect(d.note).toMatch(/not writable/);
      return;
    }
    const dir = stateDir();
    chmodSync(dir, 0o500);
    const d = new RestartSentinel(dir, cfg, clock().now).recordStart();
    expect(d).toMatchObject({ rapidCount: 0, delayMs: 0 });
  });
});
