// RunService over a real store and fake vendor: queue order with a slow store, live config,
// a session's strict model override, per-run subscribers and waiters, all bounded.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import type { GatewayError } from "../../src/protocol/errors.js";
import { RunFollower } from "../../src/runs/follower.js";
import type { RunEvent } from "../../src/runs/events.js";
import type { SessionStore } from "../../src/sessions/store.js";
import { step } from "../fixtures/fake-openai.js";
import { ended, engineHarness } from "./harness.js";

type Message = Parameters<SessionStore["appendMessage"]>[0];

/** The real store with `before` run ahead of each assistant write (to delay or fail it). */
const beforeReplyWrite =
  (before: (m: Message) => Promise<void>) =>
  (store: SessionStore): SessionStore =>
    new Proxy(store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === "endRun" && target.endRun) {
          // The reply written together with the run's end (one commit): delayed the same way.
          return async (end: Parameters<NonNullable<SessionStore["endRun"]>>[0]) => {
            if (end.message?.role === "assistant") await before(end.message);
            return target.endRun!(end);
          };
        }
        if (prop !== "appendMessage") return typeof value === "function" ? value.bind(target) : value;
        return async (m: Message) => {
          if (m.role === "assistant") await before(m);
          return target.appendMessage(m);
        };
      },
    });

/** A store whose assistant writes wait until the test opens the gate (an async backend's save). */
function gatedStore() {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let saving!: () => void;
  const savingStarted = new Promise<void>((r) => (saving = r));
  const wrap = beforeReplyWrite(async () => {
    saving();
    await gate;
  });
  return { wrap, open: () => open(), savingStarted };
}

describe("RunService", () => {
  it("keeps a session's order while a reply is being saved: a, b, c each see the previous reply", async () => {
    const gated = gatedStore();
    await using h = await engineHarness({
      wrapStore: gated.wrap,
      script: [step.reply("reply a"), step.reply("reply b"), step.reply("reply c")],
    });
    await h.start("a", "a");
    await gated.savingStarted;
    // a's reply is being written: b and c arrive in that gap and must queue behind it.
    await h.start("b", "b");
    await h.start("c", "c");
    expect(h.runs.activeRunIds("agent:main:main")).toEqual(["a", "b", "c"]);
    gated.open();
    await ended(h.runs, "c");
    const prompts = h.fake.requests.map((r) => r.body.messages.map((m: { content: string }) => m.content));
    expect(prompts).toEqual([
      ["be brief", "a"],
      ["be brief", "a", "reply a", "b"],
      ["be brief", "a", "reply a", "b", "reply b", "c"],
    ]);
  });

  it("reads the config at use time: a swapped system prompt reaches the next turn, a lower run limit the next admission", async () => {
    await using h = await engineHarness({ script: [step.reply("one"), step.reply("two")] });
    await h.start("first", "s1");
    await ended(h.runs, "s1");
    const raw = {
      models: { providers: { fake: { baseUrl: h.fake.url, apiKey: "sk-test", models: [{ id: "m1" }] } } },
      agents: { defaults: { model: "fake/m1", systemPrompt: "be very brief" } },
      runs: { deltaThrottleMs: 0, maxConcurrent: 1 },
    };
    h.source.swap(loadConfig({ path: "/nonexistent", env: {}, raw }).config);
    await h.start("second", "s2", "agent:main:other");
    expect(h.fake.requests.length).toBe(1);
    let err: GatewayError | undefined;
    try {
      await h.start("third", "s3", "agent:main:third");
    } catch (e) {
      err = e as GatewayError;
    }
    expect(err?.toShape()).toMatchObject({ code: "UNAVAILABLE", details: { limit: "runs.maxConcurrent" } });
    await ended(h.runs, "s2");
    expect(h.fake.requests[1]?.body.messages[0]).toEqual({ role: "system", content: "be very brief" });
  });

  it("honours a session's model override strictly: that model only, its real error, no fallback", async () => {
    await using h = await engineHarness({
      raw: { agents: { defaults: { model: { primary: "fake/m1", fallbacks: ["fake/m2"] } } } },
      script: (req) => (req.body.model === "m2" ? { type: "model-not-found" } : step.reply("from m1")),
    });
    const { entry } = await h.store.ensure("main", "agent:main:main");
    await h.store.patch(entry.key, { providerOverride: "fake", modelOverride: "m2" });
    const { startRun } = await import("../../src/methods/chat.js");
    await startRun(
      {
        runs: h.runs,
        store: h.store,
        config: h.config,
        events: { broadcast: () => ({ sent: 0, dropped: 0, closed: 0 }) },
      },
      "main",
      undefined,
      {
        method: "chat",
        runId: "ov-1",
        message: "go",
      },
    );
    const f = await ended(h.runs, "ov-1");
    expect(f).toMatchObject({ status: "error", error: { kind: "model_not_found" } });
    expect(h.fake.requests.map((r) => r.body.model)).toEqual(["m2"]);
  });

  it("a subscriber follows one run to its terminal event; the iterator form ends there too", async () => {
    await using h = await engineHarness({
      script: [step.reply("streamed words here", { chunks: ["streamed ", "words ", "here"], delayMs: 10 })],
    });
    const adm = await h.start("go", "sub-1");
    if (adm.kind !== "new") throw new Error("expected a new run");
    const seen: RunEvent["type"][] = [];
    h.runs.subscribe("sub-1", (ev) => seen.push(ev.type));
    const fromIterator: string[] = [];
    for await (const ev of new RunFollower(adm.run)) {
      if (ev.type === "delta") fromIterator.push(ev.delta);
    }
    expect(fromIterator.join("")).toBe("streamed words here");
    expect(seen.at(-1)).toBe("final");
    expect(seen.filter((t) => t === "final")).toHaveLength(1);
    // Ended: nothing more to follow.
    expect(h.runs.subscribe("sub-1", () => {})).toBeUndefined();
  });

  it("bounds waiters and subscribers per run with a retryable overload naming the key", async () => {
    await using h = await engineHarness({
      raw: { runs: { maxWaitersPerRun: 2, maxSubscribersPerRun: 1 } },
      script: [{ type: "hang-after-headers", chunks: ["x"] }],
    });
    const adm = await h.start("go", "cap-1");
    if (adm.kind !== "new") throw new Error("expected a new run");
    const gone = new AbortController();
    const waits = [h.runs.wait("cap-1", { timeoutMs: 60_000, signal: gone.signal }), adm.run.waitEnd()];
    expect(() => adm.run.waitEnd()).toThrow(/limit 2/);
    // A waiter that gave up frees its place at once.
    gone.abort();
    expect(await waits[0]).toMatchObject({ timeout: true });
    const third = adm.run.waitEnd();
    h.runs.subscribe("cap-1", () => {});
    let err: GatewayError | undefined;
    try {
      h.runs.subscribe("cap-1", () => {});
    } catch (e) {
      err = e as GatewayError;
    }
    expect(err?.toShape()).toMatchObject({
      code: "UNAVAILABLE",
      details: { limit: "runs.maxSubscribersPerRun" },
    });
    h.runs.abort("agent:main:main");
    expect((await third)?.status).toBe("aborted");
  });

  it("a reply the store cannot take still ends the run for everyone following it", async () => {
    const failing = beforeReplyWrite(async () => {
      throw new Error("SQLITE_FULL: database or disk is full");
    });
    await using h = await engineHarness({ wrapStore: failing, script: [step.reply("lost reply")] });
    const adm = await h.start("go", "full-1");
    if (adm.kind !== "new") throw new Error("expected a new run");
    const types: string[] = [];
    for await (const ev of new RunFollower(adm.run)) types.push(ev.type);
    expect(types.at(-1)).toBe("final");
    expect(h.chat("full-1").at(-1)).toMatchObject({ state: "final" });
    expect((await ended(h.runs, "full-1")).status).toBe("ok");
    // A late waiter answers at once from the record.
    expect((await adm.run.waitEnd())?.runId).toBe("full-1");
  });
});
