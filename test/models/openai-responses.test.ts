// The OpenAI Responses adapter: the ModelProvider contract plus its own wire details.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OpenAIResponsesProvider } from "../../src/models/openai-responses.js";
import { ProviderTransport } from "../../src/models/transport.js";
import type { ModelError, StreamEvent, StreamRequest } from "../../src/models/types.js";
import type { RecordedRequest } from "../fixtures/fake-openai.js";
import { type FakeOpenAIResponses, startFakeOpenAIResponses } from "../fixtures/fake-openai-responses.js";
import { collect, type FakeVendor, modelProviderContract } from "./contract.js";

const transport = (timeoutSeconds = 30, connectTimeoutMs = 5_000) =>
  new ProviderTransport("fake", { timeoutSeconds, connectTimeoutMs, maxConnections: 8 });

/**
 * The contract reads `body.messages` in chat-completions shape; this view adds it, rebuilt from
 * the Responses `instructions` and `input` the fake received (a string when a message is all text).
 * The recorded requests themselves are untouched; `length = 0` still clears the fake's own list.
 */
function withChatView(fake: FakeOpenAIResponses): FakeVendor {
  const view = (r: RecordedRequest): RecordedRequest => ({
    ...r,
    body: { ...r.body, messages: chatView(r.body) },
  });
  const requests = new Proxy(fake.requests, {
    get: (target, key, receiver) =>
      typeof key === "string" && /^\d+$/.test(key) && target[Number(key)] !== undefined
        ? view(target[Number(key)]!)
        : Reflect.get(target, key, receiver),
  });
  return { url: fake.url, requests, setScript: (s) => fake.setScript(s), close: () => fake.close() };
}

function chatView(body: { instructions?: string; input?: { role?: string; content?: unknown }[] }) {
  const messages: { role: string; content: unknown }[] = [];
  if (body.instructions !== undefined) messages.push({ role: "system", content: body.instructions });
  for (const item of body.input ?? []) {
    const parts = item.content;
    const allText =
      Array.isArray(parts) &&
      parts.every((p: { type?: string }) => p.type === "input_text" || p.type === "output_text");
    const content = allText ? parts.map((p: { text: string }) => p.text).join("") : parts;
    if (item.role !== undefined) messages.push({ role: item.role, content });
  }
  return messages;
}

modelProviderContract("openai-responses", {
  startFake: async () => withChatView(await startFakeOpenAIResponses()),
  makeProvider: (fake, options = {}) =>
    new OpenAIResponsesProvider(
      "fake",
      { baseUrl: options.baseUrl ?? fake.url },
      [{ id: "fake:default", apiKey: "sk-test" }],
      transport(options.timeoutSeconds, options.connectTimeoutMs),
    ),
});

describe("openai-responses wire details", () => {
  let fake: FakeOpenAIResponses;
  beforeAll(async () => {
    fake = await startFakeOpenAIResponses();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });
  const make = (config: { baseUrl?: string; headers?: Record<string, string> } = {}, apiKey = "sk-test") =>
    new OpenAIResponsesProvider(
      "fake",
      { baseUrl: config.baseUrl ?? fake.url, ...(config.headers ? { headers: config.headers } : {}) },
      [{ id: "fake:default", apiKey }],
      transport(),
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

  it("maps messages, tools and sampling fields onto the Responses body; stop is not sent", async () => {
    fake.setScript([{ type: "reply", text: "ok" }]);
    const provider = make({
      baseUrl: `${fake.url}/`,
      headers: { Authorization: "Bearer from-config", "X-Team": "keel" },
    });
    await run(provider, {
      model: "gpt-x",
      messages: [
        { role: "system", content: "be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "what is in " },
            { type: "image", source: { kind: "url", url: "https://img/x.png" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "thinking", text: "hidden" },
            { type: "text", text: "let me look" },
            { type: "tool_call", id: "call_1", name: "look", arguments: '{"q":1}' },
          ],
        },
        { role: "tool", content: [{ type: "tool_result", callId: "call_1", content: "a cat" }] },
        { role: "system", content: "answer in French" },
      ],
      tools: [{ name: "look", description: "Looks", parameters: { type: "object" } }],
      toolChoice: { name: "look" },
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 64,
      stop: ["END"],
      reasoning: "high",
    });
    const req = fake.requests[0]!;
    expect(req.path).toBe("/v1/responses");
    // Configured headers go last: they win over the credential's bearer.
    expect(req.headers["authorization"]).toBe("Bearer from-config");
    expect(req.headers["x-team"]).toBe("keel");
    expect(req.body).toEqual({
      model: "gpt-x",
      stream: true,
      store: false,
      instructions: "be brief",
      input: [
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_text", text: "what is in " },
            { type: "input_image", image_url: "https://img/x.png", detail: "auto" },
          ],
        },
        { type: "message", role: "assistant", content: "let me look" },
        { type: "function_call", call_id: "call_1", name: "look", arguments: '{"q":1}' },
        { type: "function_call_output", call_id: "call_1", output: "a cat" },
        { type: "message", role: "system", content: [{ type: "input_text", text: "answer in French" }] },
      ],
      tools: [
        {
          type: "function",
          name: "look",
          description: "Looks",
          parameters: { type: "object" },
          strict: false,
        },
      ],
      tool_choice: { type: "function", name: "look" },
      temperature: 0.2,
      top_p: 0.9,
      max_output_tokens: 64,
      reasoning: { effort: "high", summary: "auto" },
    });
  });

  it("sends the credential as a bearer token", async () => {
    fake.setScript([{ type: "reply", text: "ok" }]);
    await run(make({}, "sk-abc"));
    expect(fake.requests[0]!.headers["authorization"]).toBe("Bearer sk-abc");
  });

  it("an inline image is sent as an input_image data URL", async () => {
    fake.setScript([{ type: "reply", text: "ok" }]);
    await run(make(), {
      messages: [
        {
          role: "user",
          content: [{ type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBOR" } }],
        },
      ],
    });
    expect(fake.requests[0]!.body.input).toEqual([
      {
        type: "message",
        role: "user",
        content: [{ type: "input_image", image_url: "data:image/png;base64,iVBOR", detail: "auto" }],
      },
    ]);
  });

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

  it("cached prompt tokens are reported as cacheReadTokens", async () => {
    fake.setScript([{ type: "cached-reply", text: "hi", input: 1200, cached: 1024, output: 5 }]);
    const { events } = await run(make());
    expect(events.at(-2)).toEqual({
      type: "usage",
      inputTokens: 1200,
      outputTokens: 5,
      cacheReadTokens: 1024,
    });
  });

  it("HTTP error codes go through the Responses table before the generic rules", async () => {
    const err = (status: number, code: string, message: string) => ({
      type: "status" as const,
      status,
      body: { error: { message, type: "invalid_request_error", param: null, code } },
    });
    fake.setScript([
      err(429, "insufficient_quota", "You exceeded your current quota"),
      err(400, "model_not_found", "The requested model 'gpt-test' does not exist."),
      err(400, "context_length_exceeded", "Input too big"),
      err(400, "invalid_image_url", "Could not fetch the image"),
    ]);
    const kinds: string[] = [];
    for (let i = 0; i < 4; i++) kinds.push((await run(make())).error?.kind ?? "none");
    expect(kinds).toEqual(["billing", "model_not_found", "context_length", "bad_request"]);
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

  it("done arrives at the terminal event even if the body ends later, and the socket is reused", async () => {
    const own = await startFakeOpenAIResponses({
      script: [
        { type: "reply", text: "slow end", endDelayMs: 400 },
        { type: "reply", text: "next" },
      ],
    });
    try {
      const provider = make({ baseUrl: own.url });
      const c = await collect(provider);
      expect(c.events.at(-1)?.type).toBe("done");
      expect(await Promise.race([own.requests[0]!.outcome, Promise.resolve("still open")])).toBe(
        "still open",
      );
      expect(await own.requests[0]!.outcome).toBe("complete");
      // undici returns a socket to its pool on a later macrotask; a turn never starts sooner than that.
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect((await collect(provider)).text).toBe("next");
      expect(own.requests[1]!.remotePort).toBe(own.requests[0]!.remotePort);
    } finally {
      await own.close();
    }
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
});
