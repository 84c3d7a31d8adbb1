import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const CHILD = join(import.meta.dirname, "fixtures/list-memory.ts");

describe("stability §1: listing 10 agents × 5,000 sessions", () => {
  it("sees every session once, reads no transcript, and holds heap within 5 MB", async () => {
    const t = tempDir();
    try {
      const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", CHILD, t.dir], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      const code = await new Promise((r) => child.once("exit", r));
      expect(code, err).toBe(0);
      const r = JSON.parse(out.trim().split("\n").pop()!);
      expect(r.totalCount).toBe(50_000);
      expect(r.seen).toBe(50_000);
      expect(r.duplicates).toBe(0);
      expect(r.foreign).toBe(0);
      expect(r.pages).toBe(250);
      expect(r.perAgent).toEqual(Array(10).fill(5_000));
      expect(r.transcriptRowsReadDuringWalk).toBe(0);
      expect(r.maxHeapDeltaAfterGc).toBeLessThan(5 * 2 ** 20);
    } finally {
      t.dispose();
    }
  }, 180_000);
});
