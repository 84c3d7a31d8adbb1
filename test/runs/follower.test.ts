import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { RunFollower } from "../../src/runs/follower.js";
import { RunRegistry } from "../../src/runs/registry.js";
import type { Run, RunOutcome } from "../../src/runs/run.js";
import { runInit } from "./harness.js";

const runs = loadConfig({
  path: "/x",
  env: {},
  raw: { runs: { sweepIntervalMs: 3_600_000, subscriberBacklog: 16 } },
}).config.runs;

/** A registry whose one run publishes `deltas` deltas, then ends the way `onEnd` says. */
function oneRun(deltas: number, onEnd: (run: Run) => Promise<void>) {
  let finish: (o: RunOutcome) => void = () => {};
  const registry = new RunRegistry(() => runs, {
    execute: (run) =>
      new Promise<RunOutcome>((resolve) => {
        for (let i = 0; i < deltas; i++) run.publish({ type: "delta", delta: "x", text: "x".repeat(i + 1) });
        finish = resolve;
      }),
    onEnd: (_f, _o, run) => onEnd(run),
  });
  const admission = registry.admit(runInit("r1", "agent:main:s1", "agent"));
  if (admission.kind !== "new") throw new Error("not admitted");
  return { registry, run: admission.run, finish: (o: RunOutcome) => finish(o) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("RunFollower", () => {
  it("hands out every event in order, answers idle while none comes, then end", async () => {
    const h = oneRun(2, async (run) => {
      run.publish({ type: "final", stopReason: "stop", text: "xx", startedAt: 0, endedAt: 1 });
    });
    const follower = new RunFollower(h.run);
    await tick();
    const seen: string[] = [];
    for (let ev = await follower.next(); ; ev = await follower.next(5)) {
      if (ev === "idle") {
        seen.push("idle");
        h.finish({ status: "ok", stopReason: "stop" });
        continue;
      }
      if (ev === "end") break;
      seen.push(ev.type);
      if (ev.type === "final") break;
    }
    expect(seen.filter((t) => t !== "accepted")).toEqual(["delta", "delta", "idle", "final"]);
    expect(await follower.next()).toBe("end");
    await h.registry.shutdown();
  });

  it("a caller that leaves more than its backlog unread gets the overload error", async () => {
    // The backlog is the run's (runs.subscriberBacklog, 16 here).
    const h = oneRun(20, async () => {});
    const follower = new RunFollower(h.run);
    await tick();
    await expect(follower.next()).rejects.toMatchObject({ details: { limit: "runs.subscriberBacklog" } });
    follower.close();
    h.finish({ status: "ok", stopReason: "stop" });
    await h.registry.shutdown();
  });

  it("answers end when the run was freed without a terminal event", async () => {
    const h = oneRun(0, async () => {
      throw new Error("store gone");
    });
    const follower = new RunFollower(h.run);
    await tick();
    h.finish({ status: "ok", stopReason: "stop" });
    let ev = await follower.next();
    while (ev !== "end" && ev !== "idle") ev = await follower.next();
    expect(ev).toBe("end");
    await h.registry.shutdown();
  });
});
