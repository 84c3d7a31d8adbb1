// Stability §8: on every terminal path nothing of a run remains but its finished record, which
// then goes after its TTL; the Run object itself becomes garbage.
import { describe, expect, it } from "vitest";
import type { Run } from "../../src/runs/run.js";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { fullGc } from "./gc.js";
import { ended, engineHarness } from "./harness.js";

type Harness = Awaited<ReturnType<typeof engineHarness>>;

async function assertNothingLeft(h: Harness, runId: string, ref: WeakRef<Run>) {
  const runs = h.runs;
  expect(runs.get(runId).active).toBeUndefined();
  expect(runs.hasActiveRun("agent:main:main")).toBe(false);
  expect(runs.activeRunIds("agent:main:main")).toEqual([]);
  checkFreed(ref);
  expect(runs.get(runId).finished).toBeDefined();
  // After its TTL, the sweep drops the record too.
  runs.sweep(Date.now() + h.config.runs.finishedTtlMs + 1);
  expect(runs.get(runId)).toEqual({});
  // A provider call still unwinding after the run ended (the stale path ends the run first) holds
  // it for a few ticks; past that, anything still holding it is a leak.
  await eventually(
    async () => {
      await fullGc();
      return collected(ref);
    },
    { timeoutMs: 2_000, intervalMs: 20, message: "the ended Run to be garbage-collected" },
  );
}

/** Sync on purpose: deref() keeps its target alive until the current job ends. */
function collected(ref: WeakRef<Run>): boolean {
  return ref.deref() === undefined;
}

/** Sync on purpose: a deref'd Run held in an async function's frame would outlive the GC below. */
function checkFreed(ref: WeakRef<Run>): void {
  const run = ref.deref();
  if (!run) return;
  expect(run.text).toBe("");
  expect(run.deltaTimer).toBeUndefined();
  expect(run.timeoutTimer).toBeUndefined();
  expect(run.status).toBe("ended");
}

async function begin(h: Harness, runId: string, extra: object = {}): Promise<WeakRef<Run>> {
  const adm = await h.start("go", runId, "agent:main:main", extra);
  if (adm.kind !== "new") throw new Error("expected a new run");
  return new WeakRef(adm.run);
}

/** Resolves once the run is inside its provider call: the model phase began and the vendor has the request. */
async function streamed(h: Harness, runId: string) {
  await eventually(
    () =>
      h.events.some(
        (e) =>
          e.event === "agent" &&
          e.payload.runId === runId &&
          e.payload.stream === "lifecycle" &&
          e.payload.data.phase === "model",
      ),
    { message: `run ${runId} to reach the model` },
  );
  // Each test here runs one turn on a fresh vendor: any request is this run's.
  await eventually(() => h.fake.requestCount > 0, { message: "the vendor to get the request" });
}

describe("every terminal path frees the run (stability §8)", () => {
  it("finish", async () => {
    await using h = await engineHarness({ script: [step.reply("done text")] });
    const ref = await begin(h, "p-finish");
    await ended(h.runs, "p-finish");
    await assertNothingLeft(h, "p-finish", ref);
  });

  it("error", async () => {
    await using h = await engineHarness({ script: [{ type: "cut", chunks: ["some"] }] });
    const ref = await begin(h, "p-error");
    expect((await ended(h.runs, "p-error")).status).toBe("error");
    await assertNothingLeft(h, "p-error", ref);
  });

  it("abort", async () => {
    await using h = await engineHarness({ script: [{ type: "hang-after-headers", chunks: ["x"] }] });
    const ref = await begin(h, "p-abort");
    await streamed(h, "p-abort");
    h.runs.abort("agent:main:main", "p-abort");
    expect((await ended(h.runs, "p-abort")).status).toBe("aborted");
    await assertNothingLeft(h, "p-abort", ref);
  });

  it("timeout", async () => {
    await using h = await engineHarness({ script: [{ type: "hang-after-headers", chunks: ["x"] }] });
    const ref = await begin(h, "p-timeout", { timeoutMs: 200 });
    expect((await ended(h.runs, "p-timeout")).error?.kind).toBe("timeout");
    await assertNothingLeft(h, "p-timeout", ref);
  });

  it("shutdown", async () => {
    await using h = await engineHarness({ script: [{ type: "hang-after-headers", chunks: ["x"] }] });
    const ref = await begin(h, "p-shutdown");
    await streamed(h, "p-shutdown");
    await h.runs.shutdown();
    expect(h.runs.get("p-shutdown").finished?.status).toBe("aborted");
    await assertNothingLeft(h, "p-shutdown", ref);
  });

  it("stale sweep, with the end event lost (the provider never answers)", async () => {
    await using h = await engineHarness({ script: [{ type: "hang-before-headers" }] });
    const ref = await begin(h, "p-stale");
    await streamed(h, "p-stale");
    // Not stale yet: a sweep never touches an active run.
    expect(h.runs.sweep(Date.now()).stale).toBe(0);
    expect(h.runs.activeRunIds("agent:main:main")).toEqual(["p-stale"]);
    expect(h.runs.sweep(Date.now() + h.config.runs.staleAfterMs).stale).toBe(1);
    expect((await ended(h.runs, "p-stale")).status).toBe("aborted");
    await assertNothingLeft(h, "p-stale", ref);
  });

  it("raw-only output that never emitted a delta is flushed once and freed", async () => {
    await using h = await engineHarness({
      raw: { runs: { deltaThrottleMs: 10_000 } },
      script: [step.reply("raw only", { chunks: ["raw", " only"] })],
    });
    // The first chunk goes out at once (nothing was sent yet); hold the second back by the throttle.
    const ref = await begin(h, "p-raw");
    const f = await ended(h.runs, "p-raw");
    expect(f.text).toBe("raw only");
    const deltas = h.chat("p-raw").filter((c) => c.state === "delta");
    expect(deltas.at(-1)?.message.content[0].text).toBe("raw only");
    expect(h.chat("p-raw").at(-1)?.state).toBe("final");
    await assertNothingLeft(h, "p-raw", ref);
  });
});
