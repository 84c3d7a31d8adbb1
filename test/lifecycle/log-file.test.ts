// The log file: every line lands, in order, across size rotations; the oldest file goes past maxFiles.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LogFile } from "../../src/lifecycle/log-file.js";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (i: number) => `${JSON.stringify({ i, msg: "x".repeat(90) })}\n`;

describe("LogFile", () => {
  it("rotates past maxFileBytes: keel.log.1 newest, at most maxFiles kept, no line lost or reordered", async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-logfile-"));
    const file = new LogFile({ dir, maxFileBytes: 10_000, maxFiles: 3 });
    // ~100 bytes a line: a rotation about every 100 lines; 350 lines fill keel.log and three rotated files.
    for (let i = 0; i < 350; i++) {
      file.write(line(i));
      // Let some writes complete between lines, as a gateway's would.
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await file.close();
    const read = (name: string) =>
      existsSync(join(dir, name))
        ? readFileSync(join(dir, name), "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as { i: number }).i)
        : [];
    expect(existsSync(join(dir, "keel.log.4"))).toBe(false);
    const kept = [...read("keel.log.3"), ...read("keel.log.2"), ...read("keel.log.1"), ...read("keel.log")];
    // What is kept is the newest lines, contiguous and in order, ending with the last one.
    expect(kept.at(-1)).toBe(349);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 350 - kept.length + k));
    expect(kept.length).toBeGreaterThanOrEqual(250);
    for (const name of ["keel.log.1", "keel.log.2", "keel.log.3"]) {
      expect(statSync(join(dir, name)).size).toBeLessThan(10_000 + 200);
    }
    expect(statSync(join(dir, "keel.log")).mode & 0o777).toBe(0o600);
  });

  it("a keel.log removed by hand is started again; a rotation then finds nothing to shift and goes on", async () => {
    dir = mkdtempSync(join(tmpdir(), "keel-logfile-"));
    let now = 0;
    const file = new LogFile({ dir, maxFileBytes: 1_000, maxFiles: 2, now: () => now });
    file.write(line(0));
    file.flush();
    rmSync(join(dir, "keel.log"));
    now += 1_000;
    for (let i = 1; i <= 30; i++) {
      file.write(line(i));
      file.flush();
    }
    await file.close();
    const all = ["keel.log.2", "keel.log.1", "keel.log"]
      .filter((n) => existsSync(join(dir, n)))
      .flatMap((n) => readFileSync(join(dir, n), "utf8").split("\n").filter(Boolean));
    // Line 0 went with the removed file; what followed is on disk again, newest last.
    expect(all.at(-1)).toContain('"i":30');
    expect(all.length).toBeGreaterThan(5);
    expect(all.some((l) => l.includes('"i":0,'))).toBe(false);
  });

  it.skipIf(!existsSync("/dev/full"))(
    "a full disk loses those lines without throwing or counting them; a new keel.log starts once the full one is gone",
    async () => {
      dir = mkdtempSync(join(tmpdir(), "keel-logfile-"));
      // Every write to /dev/full fails with ENOSPC, as on a full disk.
      symlinkSync("/dev/full", join(dir, "keel.log"));
      let now = 0;
      // 20 lost lines are past maxFileBytes: counted, they would have rotated the full file away.
      const file = new LogFile({ dir, maxFileBytes: 1_000, maxFiles: 2, now: () => now });
      for (let i = 0; i < 20; i++) {
        file.write(line(i));
        expect(() => file.flush()).not.toThrow();
      }
      expect(existsSync(join(dir, "keel.log.1"))).toBe(false);
      // Room again (here: the full target is gone); the check a second later starts a real keel.log.
      rmSync(join(dir, "keel.log"));
      now += 1_000;
      file.write(line(20));
      file.flush();
      await file.close();
      const lines = readFileSync(join(dir, "keel.log"), "utf8").split("\n").filter(Boolean);
      expect(lines).toEqual([line(20).trim()]);
    },
  );
});
