// Streamed chat end to end: a raw protocol-v4 client, a real gateway, a fake vendor on loopback.
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { type Frame, openClient } from "../helpers/ws.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";

const isChat = (runId: string, state?: string) => (f: Frame) =>
  f.type === "event" &&
  f.event === "chat" &&
  f.payload.runId === runId &&
  (!state || f.payload.state === state);

describe("chat over WebSocket", () => {
  it("chat.send acks at once, streams chat/agent events in order, and chat.history shows both turns", async () => {
    await using env = await gatewayWithFakeVendor([
      step.reply("Hello from the mock model.", { chunks: ["Hello", " from the mock model."] }),
    ]);
    await using s = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    const ack = await s.request("chat.send", {
      sessionKey: "main",
      message: "Say hello.",
      idempotencyKey: "e3ad-1",
    });
    expect(ack).toMatchObject({ ok: true, payload: { runId: "e3ad-1", status: "started" } });
    const final = await s.next(isChat("e3ad-1", "final"));
    expect(final.payload).toMatchObject({
      sessionKey: "agent:main:main",
      agentId: "main",
      state: "final",
      stopReason: "stop",
      message: { role: "assistant", content: [{ type: "text", text: "Hello from the mock model." }] },
    });
    // Per-connection seq on every broadcast is strictly increasing.
    const seqs = s.frames.filter((f) => f.type === "event" && f.seq !== undefined).map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const deltas = s.frames.filter(isChat("e3ad-1", "delta")).map((f) => f.payload.message.content[0].text);
    expect(deltas).toEqual(["Hello", "Hello from the mock model."]);
    const assistant = s.frames.filter((f) => f.event === "agent" && f.payload.stream === "assistant");
    expect(assistant.at(-1)?.payload.data).toEqual({
      text: "Hello from the mock model.",
      delta: " from the mock model.",
    });

    const dup = await s.request("chat.send", {
      sessionKey: "main",
      message: "Say hello.",
      idempotencyKey: "e3ad-1",
    });
    expect(dup.payload).toEqual({ runId: "e3ad-1", status: "ok" });
    expect(env.fake.requestCount).toBe(1);

    const history = await s.request("chat.history", { sessionKey: "main", limit: 10 });
    expect(history.payload.messages.map((m: Frame) => m.role)).toEqual(["user", "assistant"]);
    expect(history.payload.messages[0].content).toBe("Say hello.");
    expect(history.payload.messages[1].content).toEqual([
      { type: "text", text: "Hello from the mock model." },
    ]);
    expect(history.payload.sessionInfo).toEqual({ hasActiveRun: false, activeRunIds: [] });

    const list = await s.request("sessions.list", {});
    expect(list.payload.sessions.map((x: Frame) => x.key)).toContain("agent:main:main");
  });

  it("agent answers twice on one id: accepted, then the final result", async () => {
    await using env = await gatewayWithFakeVendor([step.reply("Hello via agent.")]);
    await using s = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    s.send({
      type: "req",
      id: "a-1",
      method: "agent",
      params: { message: "hi", sessionKey: "node-smoke", idempotencyKey: "a-1" },
    });
    await s.next((f) => f.type === "res" && f.id === "a-1" && f.payload?.status !== "accepted");
    const res = s.frames.filter((f) => f.type === "res" && f.id === "a-1");
    expect(res).toHaveLength(2);
    expect(res[0].payload).toMatchObject({
      runId: "a-1",
      sessionKey: "agent:main:node-smoke",
      agentId: "main",
      status: "accepted",
    });
    expect(res[1].payload).toMatchObject({
      runId: "a-1",
      status: "ok",
      summary: "completed",
      result: { payloads: [{ text: "Hello via agent." }], meta: { durationMs: expect.any(Number) } },
    });
    const wait = await s.request("agent.wait", { runId: "a-1" });
    expect(wait.payload).toMatchObject({ status: "ok" });
    const unknown = await s.request("agent.wait", { runId: "nope" });
    expect(unknown.error).toMatchObject({ code: "INVALID_REQUEST", message: "unknown runId" });
    const conflict = await s.request("chat.send", {
      sessionKey: "main",
      message: "x",
      idempotencyKey: "a-1",
    });
    expect(conflict.error).toMatchObject({
      code: "INVALID_REQUEST",
      details: { code: "IDEMPOTENCY_CONFLICT" },
    });
  });

  it("a socket closed mid-run does not end the run: it completes, is stored, and another client re-attaches", async () => {
    await using env = await gatewayWithFakeVendor([
      step.reply("long answer here", { chunks: ["long ", "answer ", "here"], delayMs: 150 }),
    ]);
    const first = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    await first.request("chat.send", { sessionKey: "main", message: "go", idempotencyKey: "gone-1" });
    await first.next(isChat("gone-1", "delta"));
    first.close();
    await first.closed;
    await using second = await openClient(env.url, { scopes: ["operator.read"] });
    const mid = await second.request("chat.history", { sessionKey: "main" });
    expect(mid.payload.sessionInfo).toEqual({ hasActiveRun: true, activeRunIds: ["gone-1"] });
    expect(mid.payload.inFlightRun).toMatchObject({ runId: "gone-1", text: expect.stringContaining("long") });
    const final = await second.next(isChat("gone-1", "final"), 10_000);
    expect(final.payload.message.content[0].text).toBe("long answer here");
    const after = await second.request("chat.history", { sessionKey: "main" });
    expect(after.payload.messages.at(-1).content[0].text).toBe("long answer here");
    expect(env.handle.context.runs.stats().active).toBe(0);
  });

  it("chat.abort stops the run, keeps the partial text, and needs the write scope", async () => {
    await using env = await gatewayWithFakeVendor([{ type: "hang-after-headers", chunks: ["partial"] }]);
    await using s = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    await s.request("chat.send", { sessionKey: "main", message: "go", idempotencyKey: "ab-1" });
    await s.next(isChat("ab-1", "delta"));
    await using reader = await openClient(env.url, { scopes: ["operator.read"] });
    const denied = await reader.request("chat.abort", { sessionKey: "main" });
    expect(denied.error).toMatchObject({
      code: "FORBIDDEN",
      details: { code: "MISSING_SCOPE", missingScope: "operator.write" },
    });
    const res = await s.request("chat.abort", { sessionKey: "main" });
    expect(res.payload).toEqual({ ok: true, aborted: true, runIds: ["ab-1"] });
    const aborted = await s.next(isChat("ab-1", "aborted"));
    expect(aborted.payload.message.content[0].text).toBe("partial");
  });

  it("a provider failure reaches the client as a chat error with errorKind, and the gateway stays up", async () => {
    await using env = await gatewayWithFakeVendor([
      step.status(429, { error: { message: "slow down" } }, { "retry-after": "3" }),
    ]);
    await using s = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    await s.request("chat.send", { sessionKey: "main", message: "go", idempotencyKey: "err-1" });
    const err = await s.next(isChat("err-1", "error"));
    expect(err.payload).toMatchObject({
      errorKind: "rate_limit",
      details: { kind: "rate_limit", retryAfterMs: 3000 },
    });
    const health = await s.request("health", {});
    expect(health.ok).toBe(true);
  });

  it("past the per-session queue cap a chat.send gets a retryable overloaded error", async () => {
    await using gw = await gatewayWithFakeVendor(() => ({ type: "hang-after-headers" }), {
      config: { runs: { maxQueuePerSession: 1 } },
    });
    await using s = await openClient(gw.url, { scopes: ["operator.read", "operator.write"] });
    expect((await s.request("chat.send", { sessionKey: "q", message: "1", idempotencyKey: "q1" })).ok).toBe(
      true,
    );
    expect((await s.request("chat.send", { sessionKey: "q", message: "2", idempotencyKey: "q2" })).ok).toBe(
      true,
    );
    const third = await s.request("chat.send", { sessionKey: "q", message: "3", idempotencyKey: "q3" });
    expect(third.error).toMatchObject({
      code: "UNAVAILABLE",
      retryable: true,
      retryAfterMs: expect.any(Number),
      details: { reason: "overloaded" },
    });
  });
});
