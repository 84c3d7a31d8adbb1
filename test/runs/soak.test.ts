// Stability §7: 10,000 session-mode runs (each in a session of its own) leave nothing behind.
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { fullGc } from "./gc.js";
import { engineHarness } from "./harness.js";

const RUNS = 10_000;
const IN_FLIGHT = 100;

describe("batch load (stability §7)", () => {
  it(`${RUNS} session-mode runs: all end once, the registry empties, the heap returns to baseline`, async () => {
    const terminal = new Map<string, number>();
    let finals = 0;
    await using h = await engineHarness({
      record: false,
      // Raised so the batch is admitted in waves of IN_FLIGHT without hitting the default limits.
      raw: { runs: { maxConcurrent: 1_000, maxFinished: 20_000 } },
      script: () => step.reply("batch reply text", { chunks: ["batch ", "reply ", "text"], usage: false }),
      onEvent: (event, p) => {
        if (event === "chat" && (p.state === "final" || p.state === "error" || p.state === "aborted")) {
          terminal.set(p.runId, (terminal.get(p.runId) ?? 0) + 1);
          if (p.state === "final") finals++;
        }
      },
    });
    const runs = h.runs;
    const batch = async (from: number, to: number) => {
      let next = from;
      const worker = async () => {
        while (next < to) {
          const i = next++;
          const id = `soak-${i}`;
          const adm = await h.start("do the thing", id, `subagent:soak-${i}`);
          if (adm.kind === "new") await adm.run.waitEnd();
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    };
    // Warm up (JIT, SQLite page cache, sockets), then take the baseline with nothing in flight.
    await batch(0, 300);
    runs.sweep(Date.now() + h.config.runs.finishedTtlMs + 1);
    await fullGc();
    const baseline = process.memoryUsage().heapUsed;

    await batch(300, RUNS);
    expect(runs.stats()).toMatchObject({ active: 0, ended: RUNS, finished: RUNS - 300 });
    expect(terminal.size).toBe(RUNS);
    expect([...terminal.values()].every((n) => n === 1)).toBe(true);
    expect(finals).toBe(RUNS);

    runs.sweep(Date.now() + h.config.runs.finishedTtlMs + 1);
    expect(runs.stats()).toMatchObject({ active: 0, finished: 0 });
    await fullGc();
    const after = process.memoryUsage().heapUsed;
    const grownMb = (after - baseline) / 2 ** 20;
    // Sessions live on disk, runs in memory only while active: nothing scales with the batch.
    expect(grownMb).toBeLessThan(8);
    const page = await h.store.list({ limit: 1 });
    expect(page.total).toBeGreaterThanOrEqual(RUNS);
  }, 300_000);
});
