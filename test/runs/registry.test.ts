import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import type { GatewayError } from "../../src/protocol/errors.js";
import { RunFollower } from "../../src/runs/follower.js";
import { RunRegistry } from "../../src/runs/registry.js";
import type { FinishedRun, Run, RunInit, RunOutcome } from "../../src/runs/run.js";
import { eventually } from "../helpers/eventually.js";
import { runInit } from "./harness.js";

const runsConfig = (over: object = {}) => {
  const runs = loadConfig({ path: "/x", env: {}, raw: { runs: { sweepIntervalMs: 3_600_000, ...over } } })
    .config.runs;
  return () => runs;
};

/** A registry whose turns finish when the test says so. */
function harness(over: object = {}) {
  const pending = new Map<string, (o: RunOutcome) => void>();
  const ended: FinishedRun[] = [];
  const started: string[] = [];
  const registry = new RunRegistry(runsConfig(over), {
    execute: (run: Run) =>
      new Promise<RunOutcome>((resolve) => {
        started.push(run.runId);
        pending.set(run.runId, resolve);
        run.signal.addEventListener("abort", () =>
          resolve({ status: "aborted", reason: run.abortReason ?? "user", message: "aborted" }),
        );
      }),
    onEnd: async (f) => {
      ended.push(f);
    },
  });
  const init = runInit;
  const tick = () => new Promise((r) => setImmediate(r));
  return { registry, pending, ended, started, init, tick };
}

describe("RunRegistry", () => {
  it("an iterator that wakes while the run is ending still gets its terminal event", async () => {
    // onEnd publishes a last delta, waits (a store commit), then the final: the iterator wakes
    // for the delta in between, while the run is already marked ended.
    const registry = new RunRegistry(runsConfig(), {
      execute: async () => ({ status: "ok", stopReason: "stop" }),
      onEnd: async (f, _o, run) => {
        run.publish({ type: "delta", delta: "last", text: "last" });
        await new Promise((r) => setImmediate(r));
        run.publish({
          type: "final",
          stopReason: "stop",
          text: f.text,
          startedAt: f.startedAt,
          endedAt: f.endedAt,
        });
      },
    });
    const admission = registry.admit(runInit("r1", "agent:main:s1", "agent"));
    if (admission.kind !== "new") throw new Error("not admitted");
    const seen: string[] = [];
    for await (const ev of new RunFollower(admission.run)) seen.push(ev.type);
    expect(seen.slice(-2)).toEqual(["delta", "final"]);
    await registry.shutdown();
  });

  it("serializes runs per session and starts the next when one ends", async () => {
    const h = harness();
    h.registry.admit(h.init("a"));
    h.registry.admit(h.init("b"));
    h.registry.admit(h.init("c", "agent:main:other"));
    await h.tick();
    expect(h.started.sort()).toEqual(["a", "c"]);
    expect(h.registry.activeRunIds("agent:main:s1")).toEqual(["a", "b"]);
    h.pending.get("a")!({ status: "ok", stopReason: "stop" });
    await h.tick();
    await h.tick();
    expect(h.started).toContain("b");
    expect(h.ended.map((f) => f.runId)).toEqual(["a"]);
  });

  it("a duplicate idempotency key never starts a second run; another method conflicts", async () => {
    const h = harness();
    const first = h.registry.admit(h.init("k"));
    expect(first.kind).toBe("new");
    const again = h.registry.admit(h.init("k"));
    expect(again.kind).toBe("duplicate");
    expect(again.kind === "duplicate" && again.active?.runId).toBe("k");
    expect(() => h.registry.admit(h.init("k", "agent:main:s1", "agent"))).toThrow(/already used by chat/);
    try {
      h.registry.admit(h.init("k", "agent:main:s1", "agent"));
    } catch (err) {
      expect((err as GatewayError).details).toMatchObject({ code: "IDEMPOTENCY_CONFLICT" });
    }
    await h.tick();
    h.pending.get("k")!({ status: "ok", stopReason: "stop" });
    await h.tick();
    const late = h.registry.admit(h.init("k"));
    expect(late.kind === "duplicate" && late.finished?.status).toBe("ok");
    expect(h.started).toEqual(["k"]);
  });

  it("past the global limit and the per-session queue cap, admission is a retryable overloaded", async () => {
    const h = harness({ maxConcurrent: 3, maxQueuePerSession: 1 });
    h.registry.admit(h.init("a"));
    h.registry.admit(h.init("b"));
    const full = (() => {
      try {
        h.registry.admit(h.init("c"));
      } catch (err) {
        return err as GatewayError;
      }
    })();
    expect(full?.toShape()).toMatchObject({
      code: "UNAVAILABLE",
      retryable: true,
      details: { reason: "overloaded" },
    });
    expect(full?.retryAfterMs).toBeGreaterThan(0);
    h.registry.admit(h.init("d", "agent:main:x"));
    expect(() => h.registry.admit(h.init("e", "agent:main:y"))).toThrow(/run limit reached \(3 runs\)/);
    expect(h.registry.runs.size).toBe(3);
  });

  it("interrupt aborts the active run and runs the new one next", async () => {
    const h = harness();
    h.registry.admit(h.init("a"));
    await h.tick();
    h.registry.admit(h.init("b"));
    h.registry.admit(h.init("c"), "interrupt");
    await h.tick();
    await h.tick();
    expect(h.ended[0]).toMatchObject({ runId: "a", status: "aborted" });
    expect(h.started[1]).toBe("c");
  });

  it("end() fires the terminal callback exactly once, whatever races", async () => {
    const h = harness();
    const adm = h.registry.admit(h.init("a"));
    await h.tick();
    const run = adm.kind === "new" ? adm.run : undefined;
    await Promise.all([
      h.registry.end(run!, { status: "ok", stopReason: "stop" }),
      h.registry.end(run!, { status: "error", kind: "x", message: "late" }),
    ]);
    h.pending.get("a")!({ status: "ok", stopReason: "stop" });
    await h.tick();
    expect(h.ended).toHaveLength(1);
    expect(h.registry.endedCount).toBe(1);
    expect(h.registry.runs.size).toBe(0);
  });

  it("the sweep drops finished records after their TTL and ends stale runs, never live ones", async () => {
    const h = harness({ finishedTtlMs: 1_000, staleAfterMs: 1_000 });
    h.registry.admit(h.init("done"));
    await h.tick();
    h.pending.get("done")!({ status: "ok", stopReason: "stop" });
    await h.tick();
    h.registry.admit(h.init("live", "agent:main:l"));
    h.registry.admit(h.init("stuck", "agent:main:s"));
    await h.tick();
    const now = Date.now();
    h.registry.runs.get("live")!.touch();
    h.registry.runs.get("stuck")!.lastActivityAt = now - 5_000;
    expect(h.registry.sweep(now + 500)).toEqual({ expired: 0, stale: 1 });
    expect(h.registry.runs.has("live")).toBe(true);
    expect(h.registry.runs.has("stuck")).toBe(false);
    await h.tick();
    expect(h.ended.find((f) => f.runId === "stuck")).toMatchObject({ status: "aborted" });
    h.pending.get("live")!({ status: "ok", stopReason: "stop" });
    await h.tick();
    expect(h.registry.sweep(Date.now() + 60_000)).toEqual({ expired: 3, stale: 0 });
    expect(h.registry.finished.size).toBe(0);
    expect(h.registry.lookup("done")).toEqual({});
  });

  it("the finished cap evicts only finished records, oldest first", async () => {
    const h = harness({ maxFinished: 10 });
    for (let i = 0; i < 15; i++) {
      h.registry.admit(h.init(`r${i}`, `agent:main:s${i}`));
    }
    await h.tick();
    for (let i = 0; i < 15; i++) h.pending.get(`r${i}`)!({ status: "ok", stopReason: "stop" });
    await h.tick();
    expect(h.registry.finished.size).toBe(10);
    expect(h.registry.lookup("r0")).toEqual({});
    expect(h.registry.lookup("r14").finished?.status).toBe("ok");
  });

  it("shutdown ends every run and refuses new ones", async () => {
    const h = harness();
    h.registry.admit(h.init("a"));
    h.registry.admit(h.init("b"));
    await h.tick();
    await h.registry.shutdown();
    expect(h.registry.runs.size).toBe(0);
    expect(h.ended.map((f) => f.status)).toEqual(["aborted", "aborted"]);
    expect(() => h.registry.admit(h.init("c"))).toThrow(/closing/);
  });
});

describe("RunRegistry memory policy", () => {
  it("refuses new runs with a retryable overloaded error while the heap is under pressure", () => {
    let pressure = true;
    const registry = new RunRegistry(
      runsConfig(),
      { execute: () => new Promise(() => {}), onEnd: async () => {} },
      { memory: { underPressure: () => pressure, release: () => {} } },
    );
    const init: RunInit = {
      runId: "m1",
      method: "chat",
      sessionKey: "k",
      agentId: "main",
      sessionId: "s",
      message: "x",
      timeoutMs: 1000,
    };
    let err: GatewayError | undefined;
    try {
      registry.admit(init);
    } catch (e) {
      err = e as GatewayError;
    }
    expect(err?.toShape()).toMatchObject({
      code: "UNAVAILABLE",
      retryable: true,
      details: { reason: "overloaded", limit: "heap" },
    });
    pressure = false;
    expect(registry.admit(init).kind).toBe("new");
  });

  it("gives memory back once after a drained burst of at least 1,000 runs, not on every sweep", async () => {
    let releases = 0;
    const registry = new RunRegistry(
      runsConfig({ maxConcurrent: 2_000, maxFinished: 5_000 }),
      { execute: async () => ({ status: "ok", stopReason: "stop" }), onEnd: async () => {} },
      { memory: { underPressure: () => false, release: () => releases++ } },
    );
    for (let i = 0; i < 1_000; i++) {
      registry.admit({
        runId: `b${i}`,
        method: "chat",
        sessionKey: `k${i}`,
        agentId: "main",
        sessionId: "s",
        message: "x",
        timeoutMs: 60_000,
      });
    }
    registry.sweep(Date.now() + 3_600_000);
    expect(releases).toBe(0); // still running: nothing is released mid-burst
    await eventually(() => registry.runs.size === 0, {
      intervalMs: 1,
      message: "every run of the burst to end",
    });
    registry.sweep(Date.now() + 3_600_000);
    expect(releases).toBe(1);
    registry.sweep(Date.now() + 3_600_000);
    expect(releases).toBe(1);
  });
});
