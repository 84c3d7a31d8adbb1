// openai-completions with rich messages: the request's wire shape, tool-call and reasoning streams,
// usage details, finish reasons, OpenAI's error codes and embeddings, against the fake vendor.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OPENAI_ERROR_CODES } from "../../src/models/openai-errors.js";
import { OpenAICompletionsProvider } from "../../src/models/openai-completions.js";
import { ProviderTransport } from "../../src/models/transport.js";
import type { ChatMessage, ModelError, ModelErrorKind } from "../../src/models/types.js";
import { type FakeOpenAI, startFakeOpenAI, step } from "../fixtures/fake-openai.js";
import { collect } from "./contract.js";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

const make = () =>
  new OpenAICompletionsProvider(
    "fake",
    { baseUrl: fake.url },
    [{ id: "fake:default", apiKey: "sk-test" }],
    new ProviderTransport("fake", { timeoutSeconds: 30, connectTimeoutMs: 5_000, maxConnections: 4 }),
  );

/** A chunk in OpenAI's streaming shape, for `raw` scripts. */
const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
  `data: ${JSON.stringify({ id: "c1", model: "m", choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;

describe("openai-completions request shape", () => {
  it("sends tool calls, tool results, images and sampling fields in chat-completions shape", async () => {
    const messages: ChatMessage[] = [
      { role: "system", content: [{ type: "text", text: "be brief" }] },
      { role: "user", content: [{ type: "text", text: "weather in Paris and Rome?" }] },
      {
        role: "assistant",
        content: [
          { type: "thinking", text: "two calls needed" },
          { type: "tool_call", id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
          { type: "tool_call", id: "call_b", name: "get_weather", arguments: '{"city":"Rome"}' },
        ],
      },
      {
        role: "tool",
        content: [
          { type: "tool_result", callId: "call_a", content: "sunny" },
          { type: "tool_result", callId: "call_b", content: "no such city", isError: true },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "thinking", text: "t" },
          { type: "text", text: "Sunny." },
        ],
      },
      {
        role: "user",
        content: [
          { type: "text", text: "and this?" },
          { type: "image", source: { kind: "base64", mediaType: "image/jpeg", data: "/9j/" } },
        ],
      },
    ];
    fake.setScript([step.reply("ok")]);
    await collect(make(), undefined, undefined, {
      messages,
      maxTokens: 100,
      topP: 0.9,
      toolChoice: { name: "get_weather" },
      reasoning: "high",
      tools: [{ name: "get_weather", parameters: { type: "object" } }],
    });
    const body = fake.requests[0]!.body;
    expect(body.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "weather in Paris and Rome?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_a",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
          { id: "call_b", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: "sunny" },
      { role: "tool", tool_call_id: "call_b", content: "no such city" },
      { role: "assistant", content: "Sunny." },
      {
        role: "user",
        content: [
          { type: "text", text: "and this?" },
          { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/" } },
        ],
      },
    ]);
    expect(body).toMatchObject({
      max_tokens: 100,
      top_p: 0.9,
      reasoning_effort: "high",
      tool_choice: { type: "function", function: { name: "get_weather" } },
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
    });
    expect(body.tools[0].function).not.toHaveProperty("description");
  });

  it("string tool_choice values pass as they are; omitted fields are left out", async () => {
    fake.setScript([step.reply("ok"), step.reply("ok")]);
    await collect(make(), undefined, undefined, { toolChoice: "required" });
    await collect(make());
    expect(fake.requests[0]!.body.tool_choice).toBe("required");
    expect(Object.keys(fake.requests[1]!.body).sort()).toEqual([
      "messages",
      "model",
      "stream",
      "stream_options",
    ]);
  });
});

describe("openai-completions stream details", () => {
  it("`delta.reasoning` (OpenRouter, Ollama) streams as thinking too", async () => {
    const body = `${chunk({ reasoning: "hmm " })}${chunk({ reasoning: "ok" })}${chunk({ content: "Hi" })}${chunk({}, "stop")}data: [DONE]\n\n`;
    fake.setScript([{ type: "raw", body }]);
    const c = await collect(make());
    expect(c.events.filter((e) => e.type === "thinking")).toEqual([
      { type: "thinking", delta: "hmm " },
      { type: "thinking", delta: "ok" },
    ]);
    expect(c.text).toBe("Hi");
  });

  it("a call closes when the next index starts; a server without ids gets call_<index>", async () => {
    const calls = (index: number, fn: object) => chunk({ tool_calls: [{ index, function: fn }] });
    const body = `${calls(0, { name: "a", arguments: "{" })}${calls(0, { arguments: "}" })}${calls(1, { name: "b", arguments: "[]" })}${chunk({}, "tool_calls")}data: [DONE]\n\n`;
    fake.setScript([{ type: "raw", body }]);
    const c = await collect(make());
    const kinds = c.events.map((e) => (e.type === "tool_call" ? `call:${e.name}` : e.type));
    // a's assembled call goes out before b's first fragment, not at the end.
    expect(kinds).toEqual([
      "tool_call_delta",
      "tool_call_delta",
      "call:a",
      "tool_call_delta",
      "call:b",
      "done",
    ]);
    expect(c.events.filter((e) => e.type === "tool_call")).toEqual([
      { type: "tool_call", id: "call_0", name: "a", arguments: "{}" },
      { type: "tool_call", id: "call_1", name: "b", arguments: "[]" },
    ]);
  });

  it("more arguments for a call after the next one started → server_error", async () => {
    const calls = (index: number, fn: object) =>
      chunk({ tool_calls: [{ index, id: `c${index}`, function: fn }] });
    const body = `${calls(0, { name: "a", arguments: "{" })}${calls(1, { name: "b", arguments: "{}" })}${calls(0, { arguments: "}" })}${chunk({}, "tool_calls")}data: [DONE]\n\n`;
    fake.setScript([{ type: "raw", body }]);
    const err = (await collect(make())).error as ModelError;
    expect(err.kind).toBe("server_error");
    expect(err.message).toContain("tool call 0");
  });

  it("a stream cut mid-call yields no assembled call", async () => {
    const body = chunk({ tool_calls: [{ index: 0, id: "x", function: { name: "a", arguments: '{"ha' } }] });
    fake.setScript([{ type: "raw", body }]);
    const c = await collect(make());
    expect((c.error as ModelError).kind).toBe("network");
    expect(c.events.some((e) => e.type === "tool_call")).toBe(false);
  });

  it("finish reasons are normalised: function_call and a forced call's stop → tool_calls", async () => {
    const call = chunk({ tool_calls: [{ index: 0, id: "x", function: { name: "a", arguments: "{}" } }] });
    fake.setScript([
      { type: "raw", body: `${chunk({ content: "x" })}${chunk({}, "function_call")}data: [DONE]\n\n` },
      { type: "raw", body: `${call}${chunk({}, "stop")}data: [DONE]\n\n` },
      { type: "raw", body: `${chunk({ content: "x" })}${chunk({}, "content_filter")}data: [DONE]\n\n` },
      { type: "raw", body: `${chunk({ content: "x" })}${chunk({}, "eos")}data: [DONE]\n\n` },
    ]);
    const reasons = [];
    for (let i = 0; i < 4; i++) reasons.push((await collect(make())).events.at(-1));
    expect(reasons.map((e) => (e?.type === "done" ? e.stopReason : e?.type))).toEqual([
      "tool_calls",
      "tool_calls",
      "content_filter",
      "eos",
    ]);
  });

  it("prompt_tokens_details.cached_tokens → cacheReadTokens", async () => {
    fake.setScript([
      step.reply("hi", {
        usage: { prompt_tokens: 100, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 64 } },
      }),
    ]);
    const c = await collect(make());
    expect(c.events.find((e) => e.type === "usage")).toEqual({
      type: "usage",
      inputTokens: 36,
      outputTokens: 2,
      cacheReadTokens: 64,
    });
  });

  it("a non-streamed completion with tool calls and reasoning yields the same events", async () => {
    const completion = {
      id: "cmpl-2",
      model: "m",
      choices: [
        {
          index: 0,
          finish_reason: "tool_calls",
          message: {
            role: "assistant",
            content: null,
            reasoning_content: "need weather",
            tool_calls: [{ id: "call_z", type: "function", function: { name: "w", arguments: '{"c":1}' } }],
          },
        },
      ],
    };
    fake.setScript([step.status(200, completion)]);
    const c = await collect(make());
    expect(c.events.filter((e) => e.type !== "tool_call_delta")).toEqual([
      { type: "thinking", delta: "need weather" },
      { type: "tool_call", id: "call_z", name: "w", arguments: '{"c":1}' },
      { type: "done", stopReason: "tool_calls", responseModel: "m", responseId: "cmpl-2" },
    ]);
  });
});

describe("OpenAI error codes", () => {
  // A neutral message, so only the code can decide; each status is one the generic rules map elsewhere.
  const cases = Object.entries(OPENAI_ERROR_CODES).map(([code, kind]): [string, ModelErrorKind, number] => [
    code,
    kind,
    kind === "rate_limit" || kind === "billing" ? 429 : 400,
  ]);
  for (const [code, kind, status] of cases) {
    it(`HTTP ${status} code ${code} → ${kind}`, async () => {
      fake.setScript([step.status(status, { error: { message: "see code", type: "x", param: null, code } })]);
      const err = (await collect(make())).error as ModelError;
      expect([err.kind, err.code]).toEqual([kind, code]);
    });
  }

  it("a listed code inside the stream decides its kind too", async () => {
    fake.setScript([{ type: "stream-error", error: { message: "see code", code: "insufficient_quota" } }]);
    expect(((await collect(make())).error as ModelError).kind).toBe("billing");
  });
});

describe("openai-completions embed()", () => {
  it("POSTs {model, input} to <baseUrl>/embeddings and returns one vector per input with usage", async () => {
    const provider = make();
    const signal = new AbortController().signal;
    const credential = provider.credentials[0]!;
    const input = ["hello world", "goodbye", "hello world"];
    const result = await provider.embed({ model: "text-embedding-3-small", input, credential, signal });
    const req = fake.requests[0]!;
    expect([req.method, req.path]).toEqual(["POST", "/v1/embeddings"]);
    expect(req.headers["authorization"]).toBe("Bearer sk-test");
    expect(req.body).toEqual({ model: "text-embedding-3-small", input });
    expect(result.vectors).toHaveLength(3);
    expect(result.vectors[0]).toHaveLength(8);
    expect(result.vectors[0]).toEqual(result.vectors[2]);
    expect(result.vectors[0]).not.toEqual(result.vectors[1]);
    expect(result.usage).toEqual({ inputTokens: 8 });
  });

  it("an error answer is a classified ModelError", async () => {
    fake.setScript([step.status(429, { error: { message: "quota", code: "insufficient_quota" } })]);
    const err = await make()
      .embed({ model: "e", input: ["x"], signal: new AbortController().signal })
      .catch((e: unknown) => e);
    expect((err as ModelError).kind).toBe("billing");
  });

  it("a wrong count of vectors is server_error", async () => {
    fake.setScript([step.status(200, { data: [{ index: 0, embedding: [1, 2] }] })]);
    const err = await make()
      .embed({ model: "e", input: ["x", "y"], signal: new AbortController().signal })
      .catch((e: unknown) => e);
    expect((err as ModelError).kind).toBe("server_error");
  });
});
