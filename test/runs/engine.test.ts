import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { ended, engineHarness } from "./harness.js";

describe("run engine over a fake vendor", () => {
  it("streams a reply: status phases, cumulative deltas, final; both messages stored; nothing left in memory", async () => {
    await using h = await engineHarness({
      script: [step.reply("Hello from the mock model.", { chunks: ["Hello", " from", " the mock model."] })],
    });
    const adm = await h.start("Say hello.", "run-1");
    expect(adm.kind).toBe("new");
    const f = await ended(h.runs, "run-1");
    expect(f).toMatchObject({
      status: "ok",
      text: "Hello from the mock model.",
      provider: "fake",
      model: "m1",
    });
    const chat = h.chat("run-1");
    expect(chat.map((c) => c.state)).toEqual(["status", "status", "delta", "delta", "delta", "final"]);
    expect(chat.slice(0, 2).map((c) => c.phase)).toEqual(["preparing_context", "starting_model"]);
    expect(chat[2]).toMatchObject({
      deltaText: "Hello",
      message: { role: "assistant", content: [{ type: "text", text: "Hello" }] },
    });
    expect(chat[4].message.content[0].text).toBe("Hello from the mock model.");
    expect(chat[5]).toMatchObject({
      state: "final",
      stopReason: "stop",
      sessionKey: "agent:main:main",
      agentId: "main",
    });
    const agentSeqs = h.events.filter((e) => e.event === "agent").map((e) => e.payload.seq);
    expect(agentSeqs).toEqual([...agentSeqs].sort((a, b) => a - b));
    expect(new Set(agentSeqs).size).toBe(agentSeqs.length);
    const lifecycle = h.events
      .filter((e) => e.event === "agent" && e.payload.stream === "lifecycle")
      .map((e) => e.payload.data.phase);
    expect(lifecycle).toEqual(["start", "model", "end"]);
    // The vendor got the system prompt and the user message.
    expect(h.fake.requests[0]?.body.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "Say hello." },
    ]);
    const entry = await h.store.get("agent:main:main");
    const history = await h.store.readHistory(entry!.sessionId, { limit: 10 });
    expect(history.messages.map((m) => [m.role, m.content])).toEqual([
      ["user", "Say hello."],
      ["assistant", "Hello from the mock model."],
    ]);
    expect(history.messages[1]?.meta).toMatchObject({ status: "ok", stopReason: "stop", provider: "fake" });
    expect(h.runs.stats().active).toBe(0);
  });

  it("a queued followup sees the first turn's reply in its prompt", async () => {
    await using h = await engineHarness({
      script: [step.reply("first answer", { delayMs: 20 }), step.reply("second answer")],
    });
    await h.start("one", "q1");
    await h.start("two", "q2");
    expect(h.runs.activeRunIds("agent:main:main")).toEqual(["q1", "q2"]);
    await ended(h.runs, "q2");
    expect(h.fake.requests[1]?.body.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "one" },
      { role: "assistant", content: "first answer" },
      { role: "user", content: "two" },
    ]);
  });

  it("abort mid-stream keeps the partial text with abort metadata", async () => {
    await using h = await engineHarness({
      script: [{ type: "hang-after-headers", chunks: ["partial ", "text"] }],
    });
    await h.start("go", "ab-1");
    await eventually(
      () => h.chat("ab-1").some((c) => c.state === "delta" && c.message.content[0].text === "partial text"),
      { message: "the partial text to stream" },
    );
    expect(h.runs.abort("agent:main:main")).toEqual(["ab-1"]);
    const f = await ended(h.runs, "ab-1");
    expect(f.status).toBe("aborted");
    const last = h.chat("ab-1").at(-1);
    expect(last).toMatchObject({ state: "aborted", message: { content: [{ text: "partial text" }] } });
    const entry = await h.store.get("agent:main:main");
    const history = await h.store.readHistory(entry!.sessionId, { limit: 10 });
    expect(history.messages.at(-1)).toMatchObject({
      role: "assistant",
      content: "partial text",
      meta: { aborted: true, abortReason: "user" },
    });
    // The vendor saw the socket close: the abort reached fetch.
    expect(await h.fake.requests[0]?.outcome).toBe("client-closed");
  });

  it.each([
    [429, "rate_limit", "rate_limit"],
    [500, "server_error", "unknown"],
    [401, "auth", "unknown"],
  ])(
    "a %i from the only candidate ends the turn with error kind %s (chat errorKind %s)",
    async (status, kind, errorKind) => {
      await using h = await engineHarness({ script: [step.status(status, { error: { message: "nope" } })] });
      await h.start("go", "e-1");
      const f = await ended(h.runs, "e-1");
      expect(f).toMatchObject({ status: "error", error: { kind } });
      expect(h.chat("e-1").at(-1)).toMatchObject({ state: "error", errorKind, details: { kind } });
    },
  );

  it("fails over to the next candidate before any text, and never after text streamed", async () => {
    const raw = { agents: { defaults: { model: { primary: "fake/m1", fallbacks: ["fake/m2"] } } } };
    await using h = await engineHarness({
      raw,
      script: [{ type: "model-not-found" }, step.reply("from m2")],
    });
    await h.start("go", "fo-1");
    const f = await ended(h.runs, "fo-1");
    expect(f).toMatchObject({ status: "ok", text: "from m2", model: "m2" });
    expect(h.fake.requests.map((r) => r.body.model)).toEqual(["m1", "m2"]);

    h.fake.setScript([{ type: "cut", chunks: ["half"] }, step.reply("should not be asked")]);
    await h.start("again", "fo-2");
    const g = await ended(h.runs, "fo-2");
    expect(g).toMatchObject({ status: "error", error: { kind: "network" }, text: "half" });
    expect(h.fake.requests).toHaveLength(3);
  });

  it("an alias works as the agent's model, in fallbacks and as a run's strict model", async () => {
    const raw = {
      agents: {
        defaults: {
          model: { primary: "First", fallbacks: ["second"] },
          models: { "fake/m1": { alias: "First" }, "fake/m2": { alias: "Second" } },
        },
      },
    };
    await using h = await engineHarness({
      raw,
      script: [{ type: "model-not-found" }, step.reply("from m2")],
    });
    await h.start("go", "al-1");
    expect(await ended(h.runs, "al-1")).toMatchObject({ status: "ok", text: "from m2", model: "m2" });
    h.fake.setScript([step.reply("strict")]);
    await h.start("go", "al-2", "agent:main:main", { model: "SECOND" });
    expect(await ended(h.runs, "al-2")).toMatchObject({ status: "ok", model: "m2" });
    expect(h.fake.requests.map((r) => r.body.model)).toEqual(["m1", "m2", "m2"]);
  });

  it("a run past its timeout ends as a timeout error with the partial text kept", async () => {
    await using h = await engineHarness({ script: [{ type: "hang-after-headers", chunks: ["slow"] }] });
    await h.start("go", "t-1", "agent:main:main", { timeoutMs: 300 });
    const f = await ended(h.runs, "t-1");
    expect(f).toMatchObject({ status: "error", error: { kind: "timeout" }, text: "slow" });
    expect(h.chat("t-1").at(-1)).toMatchObject({ state: "error", errorKind: "timeout" });
  });

  it("a message that alone does not fit the context window fails with context_length naming both sizes", async () => {
    const raw = {
      providers: { tiny: { baseUrl: "http://127.0.0.1:9/v1", models: [{ id: "t", contextWindow: 256 }] } },
      agents: { defaults: { model: "tiny/t" } },
    };
    await using h = await engineHarness({ raw });
    await h.start("x".repeat(4_000), "c-1");
    const f = await ended(h.runs, "c-1");
    expect(f.error?.kind).toBe("context_length");
    expect(f.error?.message).toMatch(/~\d+ tokens .* room for \d+/);
    expect(h.chat("c-1").at(-1)).toMatchObject({ errorKind: "context_length" });
  });

  it("a dead provider (connection refused) ends the turn as a network error and the engine keeps serving", async () => {
    const raw = {
      providers: { dead: { baseUrl: "http://127.0.0.1:9/v1", models: [{ id: "d" }] } },
      agents: { defaults: { model: "dead/d" }, entries: { live: { model: "fake/m1" } } },
    };
    await using h = await engineHarness({ raw, script: [step.reply("still here")] });
    await h.start("go", "dead-1");
    const f = await ended(h.runs, "dead-1");
    expect(f).toMatchObject({ status: "error", error: { kind: "network" } });
    expect(h.chat("dead-1").at(-1)).toMatchObject({
      state: "error",
      errorKind: "unknown",
      details: { kind: "network" },
    });
    const { entry } = await h.store.ensure("live", "agent:live:main");
    await h.runs.start({
      method: "chat",
      runId: "live-1",
      sessionKey: entry.key,
      agentId: "live",
      sessionId: entry.sessionId,
      message: "go",
    });
    expect((await ended(h.runs, "live-1")).text).toBe("still here");
  });

  it("an agent with no model fails the turn with a message naming the keys to set", async () => {
    await using h = await engineHarness({ raw: { agents: { defaults: {} } } });
    await h.start("go", "nm-1");
    const f = await ended(h.runs, "nm-1");
    expect(f.error?.message).toContain("agents.defaults.model");
  });
});
