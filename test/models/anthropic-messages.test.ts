// The Anthropic Messages adapter: the ModelProvider contract plus its own stream and error details.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ANTHROPIC_ERRORS } from "../../src/models/anthropic-errors.js";
import {
  ANTHROPIC_VERSION,
  AnthropicMessagesProvider,
  anthropicMessagesUrl,
} from "../../src/models/anthropic-messages.js";
import { ProviderTransport } from "../../src/models/transport.js";
import type { ModelError, StreamEvent } from "../../src/models/types.js";
import { type AnthropicStep, type FakeAnthropic, startFakeAnthropic } from "../fixtures/fake-anthropic.js";
import { collect, modelProviderContract } from "./contract.js";

const transport = (timeoutSeconds = 30, connectTimeoutMs = 5_000) =>
  new ProviderTransport("fake", { timeoutSeconds, connectTimeoutMs, maxConnections: 8 });

modelProviderContract("anthropic-messages", {
  startFake: () => startFakeAnthropic(),
  makeProvider: (fake, options = {}) =>
    new AnthropicMessagesProvider(
      "fake",
      { baseUrl: options.baseUrl ?? fake.url },
      [{ id: "fake:default", apiKey: "sk-ant-test" }],
      transport(options.timeoutSeconds, options.connectTimeoutMs),
    ),
  imageOf: (body) =>
    body.messages
      .findLast((m: { role: string }) => m.role === "user")
      .content.filter((p: { type: string }) => p.type === "image"),
  expectedImages: [
    { type: "image", source: { type: "url", url: "https://example.test/cat.png" } },
    { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
  ],
  requestFields: (body) => ({
    tools: (body.tools ?? []).map((t: { name: string; description?: string; input_schema: object }) => ({
      name: t.name,
      description: t.description,
      parameters: t.input_schema,
    })),
    temperature: body.temperature,
    stop: body.stop_sequences,
  }),
});

/** An SSE message as Anthropic writes it. */
const sse = (type: string, data: object = {}) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const start = (usage: object = { input_tokens: 3, output_tokens: 1 }) =>
  sse("message_start", { message: { id: "msg_1", model: "claude-x", content: [], usage } });
const textBlock = (index: number, ...parts: string[]) =>
  sse("content_block_start", { index, content_block: { type: "text", text: "" } }) +
  parts.map((text) => sse("content_block_delta", { index, delta: { type: "text_delta", text } })).join("") +
  sse("content_block_stop", { index });
const end = (stop_reason: string, usage: object = { output_tokens: 2 }) =>
  sse("message_delta", { delta: { stop_reason, stop_sequence: null }, usage }) + sse("message_stop");

describe("anthropic-messages wire details", () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });
  const make = (baseUrl = fake.url, headers?: Record<string, string>, apiKey: string | null = "sk-ant") =>
    new AnthropicMessagesProvider(
      "fake",
      { baseUrl, ...(headers ? { headers } : {}) },
      [{ id: "fake:default", apiKey: apiKey ?? undefined }],
      transport(),
    );
  const run = (steps: AnthropicStep[], provider = make()) => {
    fake.setScript(steps);
    return collect(provider);
  };

  it("posts to <baseUrl>/v1/messages with x-api-key, anthropic-version, stream and max_tokens; configured headers last", async () => {
    const provider = make(fake.url, { "Anthropic-Beta": "tools-x", "X-Api-Key": "from-config" });
    const c = await run([{ type: "reply", text: "hi" }], provider);
    expect(c.text).toBe("hi");
    const req = fake.requests[0]!;
    expect(req.path).toBe("/v1/messages");
    expect(req.headers["anthropic-version"]).toBe(ANTHROPIC_VERSION);
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["anthropic-beta"]).toBe("tools-x");
    expect(req.headers["x-api-key"]).toBe("from-config");
    expect(req.headers["authorization"]).toBeUndefined();
    expect(req.body).toEqual({
      model: "gpt-test",
      max_tokens: 4096,
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
  });

  it("sends the credential's key as x-api-key, and none without one", async () => {
    await run([{ type: "reply", text: "a" }]);
    expect(fake.requests[0]!.headers["x-api-key"]).toBe("sk-ant");
    await run([{ type: "reply", text: "b" }], make(fake.url, undefined, null));
    expect(fake.requests[1]!.headers["x-api-key"]).toBeUndefined();
  });

  it("a baseUrl ending in /v1 (or /v1/) is not doubled; the root with a slash works too", async () => {
    for (const baseUrl of [`${fake.url}/v1`, `${fake.url}/v1/`, `${fake.url}/`]) {
      expect((await run([{ type: "reply", text: "ok" }], make(baseUrl))).text).toBe("ok");
    }
    expect(fake.requests.map((r) => r.path)).toEqual(["/v1/messages", "/v1/messages", "/v1/messages"]);
    expect(anthropicMessagesUrl("https://api.anthropic.com")).toBe("https://api.anthropic.com/v1/messages");
    expect(anthropicMessagesUrl("https://gw.example/anthropic/v1")).toBe(
      "https://gw.example/anthropic/v1/messages",
    );
  });

  it("a wrong path is endpoint_not_found naming the URL (Anthropic's 404 names no model)", async () => {
    const err = (await run([], make(`${fake.url}/api`))).error as ModelError;
    expect(err.kind).toBe("endpoint_not_found");
    expect(err.message).toContain("/api/v1/messages");
    expect(err.message).toContain("models.providers.fake.baseUrl");
  });

  it("a key the vendor rejects → auth (authentication_error)", async () => {
    const own = await startFakeAnthropic({ apiKey: "right" });
    try {
      const err = (await collect(make(own.url, undefined, "wrong"))).error as ModelError;
      expect([err.kind, err.status, err.code]).toEqual(["auth", 401, "authentication_error"]);
    } finally {
      await own.close();
    }
  });

  it("a tool call streamed as input_json_delta chunks is assembled into one tool_call", async () => {
    const c = await run([
      {
        type: "tool-call",
        text: "Let me check.",
        calls: [
          { id: "toolu_1", name: "get_weather", argumentChunks: ['{"ci', 'ty": "Par', 'is"}'] },
          { id: "toolu_2", name: "get_time", argumentChunks: ['{"tz"', ': "CET"}'] },
        ],
      },
    ]);
    expect(c.error).toBeUndefined();
    expect(c.text).toBe("Let me check.");
    const tools = c.events.filter((e) => e.type === "tool_call_delta" || e.type === "tool_call");
    expect(tools).toEqual([
      { type: "tool_call_delta", index: 0, id: "toolu_1", name: "get_weather", argumentsDelta: "" },
      { type: "tool_call_delta", index: 0, argumentsDelta: '{"ci' },
      { type: "tool_call_delta", index: 0, argumentsDelta: 'ty": "Par' },
      { type: "tool_call_delta", index: 0, argumentsDelta: 'is"}' },
      { type: "tool_call", id: "toolu_1", name: "get_weather", arguments: '{"city": "Paris"}' },
      { type: "tool_call_delta", index: 1, id: "toolu_2", name: "get_time", argumentsDelta: "" },
      { type: "tool_call_delta", index: 1, argumentsDelta: '{"tz"' },
      { type: "tool_call_delta", index: 1, argumentsDelta: ': "CET"}' },
      { type: "tool_call", id: "toolu_2", name: "get_time", arguments: '{"tz": "CET"}' },
    ]);
    expect(c.events.at(-1)).toMatchObject({ type: "done", stopReason: "tool_calls" });
  });

  it("a tool call without argument deltas has {} (or the input its start carried)", async () => {
    const body =
      start() +
      sse("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id: "t1", name: "now", input: {} },
      }) +
      sse("content_block_stop", { index: 0 }) +
      sse("content_block_start", {
        index: 1,
        content_block: { type: "tool_use", id: "t2", name: "echo", input: { a: 1 } },
      }) +
      sse("content_block_stop", { index: 1 }) +
      end("tool_use");
    const c = await run([{ type: "raw", body }]);
    expect(c.events.filter((e) => e.type === "tool_call")).toEqual([
      { type: "tool_call", id: "t1", name: "now", arguments: "{}" },
      { type: "tool_call", id: "t2", name: "echo", arguments: '{"a":1}' },
    ]);
  });

  it("thinking deltas stream as thinking events before the reply text, then the block's signature", async () => {
    const c = await run([{ type: "thinking", thinking: ["Let me ", "think."], text: "The answer." }]);
    expect(c.error).toBeUndefined();
    const kinds = c.events.map((e) => e.type);
    expect(kinds.indexOf("thinking")).toBeLessThan(kinds.indexOf("text"));
    const thinking = c.events.filter(
      (e): e is Extract<StreamEvent, { type: "thinking" }> => e.type === "thinking",
    );
    expect(thinking.map((e) => e.delta).join("")).toBe("Let me think.");
    expect(c.text).toBe("The answer.");
    // The seal comes as one more thinking event with no text, after the block's text.
    expect(thinking.at(-1)).toEqual({
      type: "thinking",
      delta: "",
      signature: "EqQBCgIYAhIMfake",
      signed: "Let me think.",
    });
    expect(thinking.filter((e) => e.signature !== undefined)).toHaveLength(1);
  });

  it("usage: input and cache counts from message_start, output (cumulative) from message_delta", async () => {
    const body =
      start({
        input_tokens: 50,
        cache_creation_input_tokens: 20,
        cache_read_input_tokens: 1000,
        output_tokens: 1,
      }) +
      textBlock(0, "cached") +
      end("end_turn", { output_tokens: 7 });
    const c = await run([{ type: "raw", body }]);
    expect(c.events.at(-2)).toEqual({
      type: "usage",
      inputTokens: 50,
      outputTokens: 7,
      cacheReadTokens: 1000,
      cacheWriteTokens: 20,
    });
    expect(c.events.at(-1)).toEqual({
      type: "done",
      stopReason: "stop",
      responseModel: "claude-x",
      responseId: "msg_1",
    });
  });

  const stops: [string, string][] = [
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["tool_use", "tool_calls"],
    ["refusal", "content_filter"],
    ["pause_turn", "pause_turn"],
  ];
  for (const [vendor, ours] of stops) {
    it(`stop_reason ${vendor} → ${ours}`, async () => {
      const c = await run([{ type: "raw", body: start() + textBlock(0, "x") + end(vendor) }]);
      expect(c.events.at(-1)).toMatchObject({ type: "done", stopReason: ours });
    });
  }

  it("an error event after partial text → ModelError of its type, the text kept, no done", async () => {
    const c = await run([
      {
        type: "stream-error",
        chunks: ["partial ", "text"],
        error: { type: "overloaded_error", message: "Overloaded" },
      },
    ]);
    const err = c.error as ModelError;
    expect([err.name, err.kind, err.code]).toEqual(["ModelError", "overloaded", "overloaded_error"]);
    expect(err.status).toBeUndefined();
    expect(c.text).toBe("partial text");
    expect(c.events.some((e) => e.type === "done")).toBe(false);
  });

  const eventErrors: [string, string, ModelError["kind"]][] = [
    ["rate_limit_error", "Rate limited", "rate_limit"],
    ["api_error", "Internal server error", "server_error"],
    ["invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum", "context_length"],
    ["some_new_error", "Something odd", "server_error"],
  ];
  for (const [type, message, kind] of eventErrors) {
    it(`an error event of type ${type} → ${kind}`, async () => {
      const c = await run([{ type: "stream-error", chunks: ["a"], error: { type, message } }]);
      expect((c.error as ModelError).kind).toBe(kind);
      expect(c.text).toBe("a");
    });
  }

  it("a stream that ends after message_delta but before message_stop → network (cut)", async () => {
    const body =
      start() + textBlock(0, "almost") + sse("message_delta", { delta: { stop_reason: "end_turn" } });
    const c = await run([{ type: "raw", body }]);
    const err = c.error as ModelError;
    expect(err.kind).toBe("network");
    expect(err.message).toContain("ended before the reply was complete");
    expect(c.text).toBe("almost");
  });

  it("ping and unknown events are ignored; data lines without event: lines are read by their type", async () => {
    const noNames = (start() + textBlock(0, "b") + end("end_turn")).replace(/^event: .*\n/gm, "");
    const body =
      start() + sse("ping") + sse("some_future_event", { x: 1 }) + textBlock(0, "a") + end("end_turn");
    expect((await run([{ type: "raw", body }])).text).toBe("a");
    const c = await run([{ type: "raw", body: noNames }]);
    expect(c.error).toBeUndefined();
    expect(c.text).toBe("b");
  });

  // A fresh fake: undici pools sockets per origin, and earlier tests leave idle ones behind.
  it("done arrives at message_stop even if the body ends later, and the socket goes back to the pool", async () => {
    const own = await startFakeAnthropic({
      script: [
        { type: "reply", text: "slow end", endDelayMs: 400 },
        { type: "reply", text: "next" },
      ],
    });
    try {
      const provider = make(own.url);
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

  it("a server that answers one JSON Message still yields thinking (sealed), text, tool call, usage and done", async () => {
    const message = {
      id: "msg_j",
      type: "message",
      role: "assistant",
      model: "claude-json",
      content: [
        { type: "thinking", thinking: "hmm", signature: "sig-j" },
        { type: "text", text: "whole reply" },
        { type: "tool_use", id: "t1", name: "f", input: { q: 1 } },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 5, output_tokens: 2 },
    };
    const c = await run([{ type: "raw", body: JSON.stringify(message), contentType: "application/json" }]);
    expect(c.events).toEqual([
      // A whole block carries its seal with it.
      { type: "thinking", delta: "hmm" },
      { type: "thinking", delta: "", signature: "sig-j", signed: "hmm" },
      { type: "text", delta: "whole reply" },
      { type: "tool_call_delta", index: 0, id: "t1", name: "f", argumentsDelta: "" },
      { type: "tool_call", id: "t1", name: "f", arguments: '{"q":1}' },
      { type: "usage", inputTokens: 5, outputTokens: 2 },
      { type: "done", stopReason: "tool_calls", responseModel: "claude-json", responseId: "msg_j" },
    ]);
    // An error body sent with a 2xx status is still that error, never an empty success.
    const overloaded = JSON.stringify({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
    });
    const failed = await run([{ type: "raw", body: overloaded, contentType: "application/json" }]);
    expect((failed.error as ModelError).kind).toBe("overloaded");
  });
});

describe("anthropic-messages error table", () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterAll(() => fake.close());
  const provider = () =>
    new AnthropicMessagesProvider(
      "fake",
      { baseUrl: fake.url },
      [{ id: "fake:default", apiKey: "k" }],
      transport(),
    );
  const fail = async (
    status: number,
    type: string | undefined,
    message: string,
    headers?: Record<string, string>,
  ) => {
    const body =
      type === undefined ? message : { type: "error", error: { type, message }, request_id: "req_1" };
    fake.setScript([{ type: "status", status, body, ...(headers ? { headers } : {}) }]);
    return (await collect(provider())).error as ModelError;
  };

  for (const row of ANTHROPIC_ERRORS) {
    it(`row: ${row.status} ${row.type} → ${row.kind}`, async () => {
      const err = await fail(row.status, row.type, "something went wrong");
      expect([err.kind, err.status, err.code]).toEqual([row.kind, row.status, row.type]);
    });
  }

  const worded: [number, string, string, ModelError["kind"]][] = [
    [400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum", "context_length"],
    [
      400,
      "invalid_request_error",
      'messages: roles must alternate between "user" and "assistant"',
      "bad_request",
    ],
    [
      400,
      "invalid_request_error",
      "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
      "billing",
    ],
    [404, "not_found_error", "model: claude-nonexistent-1", "model_not_found"],
    [404, "not_found_error", "Not Found", "endpoint_not_found"],
    [403, "permission_error", "Your API key does not have permission to use the specified resource.", "auth"],
  ];
  for (const [status, type, message, kind] of worded) {
    it(`${status} ${type} "${message.slice(0, 40)}" → ${kind}`, async () => {
      expect((await fail(status, type, message)).kind).toBe(kind);
    });
  }

  it("429 rate_limit_error honours Retry-After", async () => {
    const err = await fail(
      429,
      "rate_limit_error",
      "Number of request tokens has exceeded your per-minute rate limit",
      {
        "retry-after": "12",
      },
    );
    expect([err.kind, err.retryAfterMs]).toEqual(["rate_limit", 12_000]);
  });

  it("a body without a type is placed by its status (a proxy's page), unknown statuses by the generic rules", async () => {
    expect((await fail(529, undefined, "Overloaded")).kind).toBe("overloaded");
    expect((await fail(401, undefined, "Unauthorized")).kind).toBe("auth");
    expect((await fail(503, undefined, "upstream connect error")).kind).toBe("overloaded");
    expect((await fail(502, undefined, "Bad Gateway")).kind).toBe("server_error");
  });
});
