// The OpenAI Responses adapter's event mapping: tool calls, thinking, failures, incomplete ends and usage.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OpenAIResponsesProvider } from "../../src/models/openai-responses.js";
import { ProviderTransport } from "../../src/models/transport.js";
import type { ModelError, StreamEvent, StreamRequest } from "../../src/models/types.js";
import { type FakeOpenAIResponses, startFakeOpenAIResponses } from "../fixtures/fake-openai-responses.js";

describe("openai-responses stream events", () => {
  let fake: FakeOpenAIResponses;
  beforeAll(async () => {
    fake = await startFakeOpenAIResponses();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });
  const make = () =>
    new OpenAIResponsesProvider(
      "fake",
      { baseUrl: fake.url },
      [{ id: "fake:default", apiKey: "sk-test" }],
      new ProviderTransport("fake", { timeoutSeconds: 30, connectTimeoutMs: 5_000, maxConnections: 8 }),
    );
  const run = async (provider: OpenAIResponsesProvider, extra: Partial<StreamRequest> = {}) => {
    const events: StreamEvent[] = [];
    try {
      for await (const e of provider.stream({
        model: "gpt-test",
        messages: [{ role: "user", content: "hi" }],
        credential: provider.credentials[0]!,
        signal: new AbortController().signal,
        ...extra,
      })) {
        events.push(e);
      }
    } catch (error) {
      return { events, error: error as ModelError };
    }
    return { events, error: undefined };
  };
  const textOf = (events: StreamEvent[]) => events.map((e) => (e.type === "text" ? e.delta : "")).join("");

  it("a streamed function call yields id and name first, argument deltas, then the assembled call", async () => {
    fake.setScript([
      {
        type: "tool-call",
        text: "checking",
        calls: [
          { id: "call_a", name: "weather", argumentChunks: ['{"ci', 'ty":"Pa', 'ris"}'] },
          { id: "call_b", name: "time", argumentChunks: ["{}"] },
        ],
      },
    ]);
    const { events, error } = await run(make());
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe("checking");
    const calls = events.filter((e) => e.type === "tool_call_delta" || e.type === "tool_call");
    expect(calls).toEqual([
      { type: "tool_call_delta", index: 0, id: "call_a", name: "weather", argumentsDelta: "" },
      { type: "tool_call_delta", index: 0, argumentsDelta: '{"ci' },
      { type: "tool_call_delta", index: 0, argumentsDelta: 'ty":"Pa' },
      { type: "tool_call_delta", index: 0, argumentsDelta: 'ris"}' },
      { type: "tool_call", id: "call_a", name: "weather", arguments: '{"city":"Paris"}' },
      { type: "tool_call_delta", index: 1, id: "call_b", name: "time", argumentsDelta: "" },
      { type: "tool_call_delta", index: 1, argumentsDelta: "{}" },
      { type: "tool_call", id: "call_b", name: "time", arguments: "{}" },
    ]);
    expect(events.at(-1)).toMatchObject({ type: "done", stopReason: "tool_calls" });
  });

  it("reasoning summary text streams as thinking events, apart from the reply", async () => {
    fake.setScript([{ type: "thinking", thinking: ["Think", "ing hard"], text: "The answer" }]);
    const { events, error } = await run(make(), { reasoning: "low" });
    expect(error).toBeUndefined();
    expect(events.filter((e) => e.type === "thinking")).toEqual([
      { type: "thinking", delta: "Think" },
      { type: "thinking", delta: "ing hard" },
    ]);
    expect(textOf(events)).toBe("The answer");
    expect(events.findIndex((e) => e.type === "thinking")).toBeLessThan(
      events.findIndex((e) => e.type === "text"),
    );
  });

  it("response.reasoning_text.delta is thinking too", async () => {
    const ev = (type: string, f: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...f })}\n\n`;
    const body =
      ev("response.reasoning_text.delta", {
        item_id: "rs",
        output_index: 0,
        content_index: 0,
        delta: "hmm",
      }) +
      ev("response.output_text.delta", { item_id: "m", output_index: 1, content_index: 0, delta: "hi" }) +
      ev("response.completed", {
        response: { id: "r1", model: "m", status: "completed", output: [], usage: null },
      });
    fake.setScript([{ type: "raw", body }]);
    const { events } = await run(make());
    expect(events).toEqual([
      { type: "thinking", delta: "hmm" },
      { type: "text", delta: "hi" },
      { type: "done", stopReason: "stop", responseModel: "m", responseId: "r1" },
    ]);
  });

  it("response.failed after partial text is a classified ModelError, never an empty success", async () => {
    fake.setScript([
      { type: "failed", code: "rate_limit_exceeded", message: "Rate limit reached", chunks: ["par", "tial"] },
      { type: "failed", code: "invalid_prompt", message: "Invalid prompt: flagged", chunks: [] },
      { type: "failed", code: "something_new", message: "boom" },
    ]);
    const a = await run(make());
    expect(textOf(a.events)).toBe("partial");
    expect(a.events.some((e) => e.type === "done")).toBe(false);
    expect([a.error?.name, a.error?.kind, a.error?.code]).toEqual([
      "ModelError",
      "rate_limit",
      "rate_limit_exceeded",
    ]);
    expect(a.error?.message).toContain("response.failed");
    expect((await run(make())).error?.kind).toBe("content_policy");
    expect((await run(make())).error?.kind).toBe("server_error");
  });

  it("an error event is a ModelError classified by its code or wording", async () => {
    fake.setScript([
      { type: "stream-error", chunks: ["a"], error: { type: "overloaded_error", message: "Overloaded" } },
      {
        type: "stream-error",
        error: { code: "context_length_exceeded", message: "Your input exceeds the context window" },
      },
    ]);
    const a = await run(make());
    expect([a.error?.kind, textOf(a.events)]).toEqual(["overloaded", "a"]);
    expect((await run(make())).error?.kind).toBe("context_length");
  });

  it("response.incomplete ends with stop reason length or content_filter, with usage", async () => {
    fake.setScript([
      { type: "incomplete", reason: "max_output_tokens", chunks: ["cut ", "short"] },
      { type: "incomplete", reason: "content_filter", chunks: ["no"] },
    ]);
    const a = await run(make());
    expect(a.error).toBeUndefined();
    expect(textOf(a.events)).toBe("cut short");
    expect(a.events.at(-2)?.type).toBe("usage");
    expect(a.events.at(-1)).toMatchObject({
      type: "done",
      stopReason: "length",
      responseId: expect.stringMatching(/^resp_fake_/),
    });
    expect((await run(make())).events.at(-1)).toMatchObject({ type: "done", stopReason: "content_filter" });
  });

  it("cached prompt tokens are reported as cacheReadTokens, apart from inputTokens", async () => {
    fake.setScript([{ type: "cached-reply", text: "hi", input: 1200, cached: 1024, output: 5 }]);
    const { events } = await run(make());
    expect(events.at(-2)).toEqual({
      type: "usage",
      inputTokens: 176,
      outputTokens: 5,
      cacheReadTokens: 1024,
    });
  });

  it("a server that ignores stream:true and answers one Response object still yields text, usage and done", async () => {
    const response = {
      id: "resp_1",
      model: "gpt-json",
      status: "completed",
      output: [
        { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "thought" }] },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "whole reply" }] },
        { type: "function_call", id: "fc_1", call_id: "call_1", name: "f", arguments: "{}" },
      ],
      usage: { input_tokens: 5, output_tokens: 2, input_tokens_details: { cached_tokens: 0 } },
    };
    fake.setScript([{ type: "status", status: 200, body: response }]);
    const { events } = await run(make());
    expect(events).toEqual([
      { type: "thinking", delta: "thought" },
      { type: "text", delta: "whole reply" },
      { type: "tool_call_delta", index: 0, id: "call_1", name: "f", argumentsDelta: "" },
      { type: "tool_call", id: "call_1", name: "f", arguments: "{}" },
      { type: "usage", inputTokens: 5, outputTokens: 2 },
      { type: "done", stopReason: "tool_calls", responseModel: "gpt-json", responseId: "resp_1" },
    ]);
  });

  it("a terminal event named only in the payload (no event: line) still ends the reply", async () => {
    const data = (f: object) => `data: ${JSON.stringify(f)}\n\n`;
    const body =
      data({ type: "response.output_text.delta", delta: "x" }) +
      data({ type: "response.completed", response: { status: "completed", usage: null } });
    fake.setScript([{ type: "raw", body }]);
    const { events, error } = await run(make());
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: "text", delta: "x" },
      { type: "done", stopReason: "stop" },
    ]);
  });

  it("a refusal streams as the reply's text and ends with stop reason content_filter", async () => {
    const ev = (type: string, f: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...f })}\n\n`;
    const body =
      ev("response.refusal.delta", { item_id: "m", output_index: 0, content_index: 0, delta: "I can't " }) +
      ev("response.refusal.delta", { item_id: "m", output_index: 0, content_index: 0, delta: "help." }) +
      ev("response.completed", {
        response: { id: "r2", model: "m", status: "completed", output: [], usage: null },
      });
    fake.setScript([{ type: "raw", body }]);
    const { events, error } = await run(make());
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe("I can't help.");
    expect(events.at(-1)).toMatchObject({ type: "done", stopReason: "content_filter" });
  });
});
