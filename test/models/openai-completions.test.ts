// The OpenAI chat-completions adapter: the ModelProvider contract plus its own wire details.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OpenAICompletionsProvider } from "../../src/models/openai-completions.js";
import { ProviderTransport } from "../../src/models/transport.js";
import type { ModelError } from "../../src/models/types.js";
import { type FakeOpenAI, startFakeOpenAI, step } from "../fixtures/fake-openai.js";
import { collect, modelProviderContract } from "./contract.js";

modelProviderContract("openai-completions", {
  startFake: () => startFakeOpenAI(),
  makeProvider: (fake, options = {}) =>
    new OpenAICompletionsProvider(
      "fake",
      { baseUrl: options.baseUrl ?? fake.url },
      [{ id: "fake:default", apiKey: "sk-test" }],
      new ProviderTransport("fake", {
        timeoutSeconds: options.timeoutSeconds ?? 30,
        connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
        maxConnections: 8,
      }),
    ),
  imageOf: (body) =>
    body.messages
      .findLast((m: { role: string }) => m.role === "user")
      .content.filter((p: { type: string }) => p.type === "image_url"),
  expectedImages: [
    { type: "image_url", image_url: { url: "https://example.test/cat.png" } },
    { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
  ],
  requestFields: (body) => ({
    tools: (body.tools ?? []).map((t: { type: string; function: object }) => {
      expect(t.type).toBe("function");
      return t.function;
    }),
    temperature: body.temperature,
    stop: body.stop,
  }),
});

describe("openai-completions wire details", () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });
  const make = (
    extra: Partial<ConstructorParameters<typeof OpenAICompletionsProvider>[1]> & {
      apiKey?: string;
      timeoutSeconds?: number;
    } = {},
  ) => {
    const { apiKey, timeoutSeconds = 30, ...config } = extra;
    return new OpenAICompletionsProvider(
      "fake",
      { baseUrl: fake.url, ...config },
      [{ id: "fake:default", apiKey }],
      new ProviderTransport("fake", { timeoutSeconds, connectTimeoutMs: 5_000, maxConnections: 8 }),
    );
  };

  it("posts to <baseUrl>/chat/completions with stream, usage, max_tokens, bearer key and configured headers", async () => {
    const provider = make({ baseUrl: `${fake.url}//`, apiKey: "sk-abc", headers: { "X-Team": "keel" } });
    fake.setScript([step.reply("hi")]);
    const signal = new AbortController().signal;
    const messages = [
      { role: "system" as const, content: "be brief" },
      { role: "user" as const, content: "hello" },
    ];
    const credential = provider.credentials[0]!;
    for await (const _ of provider.stream({ model: "gpt-x", messages, maxTokens: 64, credential, signal })) {
      // drain the stream: this test reads what the vendor received
    }
    const req = fake.requests[0]!;
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers["authorization"]).toBe("Bearer sk-abc");
    expect(req.headers["x-team"]).toBe("keel");
    expect(req.body).toEqual({
      model: "gpt-x",
      messages,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 64,
    });
  });

  it("sends no Authorization header without an apiKey", async () => {
    fake.setScript([step.reply("hi")]);
    expect((await collect(make())).text).toBe("hi");
    expect(fake.requests[0]!.headers["authorization"]).toBeUndefined();
  });

  it("a doubled /v1/v1 is endpoint_not_found naming the URL, not model_not_found", async () => {
    const c = await collect(make({ baseUrl: `${fake.url}/v1` }));
    const err = c.error as ModelError;
    expect(err.kind).toBe("endpoint_not_found");
    expect(err.message).toContain("/v1/v1/chat/completions");
    expect(err.message).toContain("models.providers.fake.baseUrl");
  });

  it("a reply without [DONE] but with finish_reason completes", async () => {
    fake.setScript([step.reply("done anyway", { omitDone: true, finishReason: "length" })]);
    const c = await collect(make());
    expect(c.error).toBeUndefined();
    expect(c.events.at(-1)).toMatchObject({ type: "done", stopReason: "length" });
  });

  it("an error object inside the stream is classified by its wording", async () => {
    fake.setScript([
      { type: "stream-error", chunks: ["a"], error: { type: "overloaded_error", message: "Overloaded" } },
    ]);
    const c = await collect(make());
    expect((c.error as ModelError).kind).toBe("overloaded");
    expect(c.text).toBe("a");
  });

  it("an error chunk nested 150,000 levels deep is classified, not a stack overflow", async () => {
    const depth = 150_000;
    const deep = `{"error":{"message":"rate limit reached","x":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
    fake.setScript([{ type: "raw", body: `data: ${deep}\n\n` }]);
    const c = await collect(make());
    const err = c.error as ModelError;
    expect(err.kind).toBe("rate_limit");
    expect(err.message).not.toMatch(/call stack/);
    expect(err.message).toContain("rate limit reached");
  });

  it("a server that ignores stream:true and answers JSON still yields text, usage and done", async () => {
    const completion = {
      id: "cmpl-1",
      model: "gpt-json",
      choices: [{ index: 0, message: { role: "assistant", content: "whole reply" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 5, completion_tokens: 2 },
    };
    fake.setScript([step.status(200, completion)]);
    const c = await collect(make());
    expect(c.events).toEqual([
      { type: "text", delta: "whole reply" },
      { type: "usage", inputTokens: 5, outputTokens: 2 },
      { type: "done", stopReason: "stop", responseModel: "gpt-json", responseId: "cmpl-1" },
    ]);
  });

  // Each uses a fresh fake: undici pools sockets per origin, and earlier tests leave idle ones behind.
  it("a finished stream leaves its keep-alive connection reusable", async () => {
    const own = await startFakeOpenAI({ script: [step.reply("one"), step.reply("two")] });
    try {
      const provider = make({ baseUrl: own.url });
      expect((await collect(provider)).text).toBe("one");
      expect(await own.requests[0]!.outcome).toBe("complete");
      // undici returns a socket to its pool on a later macrotask; a turn never starts sooner than that.
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect((await collect(provider)).text).toBe("two");
      expect(own.requests[1]!.remotePort).toBe(own.requests[0]!.remotePort);
    } finally {
      await own.close();
    }
  });

  it("done arrives at [DONE] even if the body ends later, and the socket is still reused", async () => {
    const own = await startFakeOpenAI({
      script: [step.reply("slow end", { endDelayMs: 400 }), step.reply("next")],
    });
    try {
      const provider = make({ baseUrl: own.url });
      const c = await collect(provider);
      expect(c.events.at(-1)?.type).toBe("done");
      // The vendor has not finished the response yet: done did not wait for the body's end.
      expect(await Promise.race([own.requests[0]!.outcome, Promise.resolve("still open")])).toBe(
        "still open",
      );
      expect(await own.requests[0]!.outcome).toBe("complete");
      // As above: the next turn starts after undici has put the socket back in its pool.
      await new Promise((resolve) => setTimeout(resolve, 10));
      await collect(provider);
      expect(own.requests[1]!.remotePort).toBe(own.requests[0]!.remotePort);
    } finally {
      await own.close();
    }
  });

  it("an SSE event that never ends is cut at 1 Mi characters → server_error", async () => {
    fake.setScript([{ type: "raw", body: `data: ${"x".repeat(1024 * 1024 + 10)}` }]);
    const err = (await collect(make())).error as ModelError;
    expect(err.kind).toBe("server_error");
    expect(err.message).toContain("SSE event over");
  });

  it("SSE comments, event names and CRLF line endings are tolerated", async () => {
    const chunk = (content: string) =>
      JSON.stringify({
        id: "c",
        model: "m",
        choices: [{ index: 0, delta: { content }, finish_reason: null }],
      });
    const end = JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
    const body = `: keep-alive\r\n\r\nevent: message\r\ndata: ${chunk("a")}\r\n\r\ndata: ${chunk("b")}\n\ndata: ${end}\n\ndata: [DONE]\n\n`;
    fake.setScript([{ type: "raw", body }]);
    const c = await collect(make());
    expect(c.error).toBeUndefined();
    expect(c.text).toBe("ab");
  });

  it("the usage chunk is left out when the vendor sends none", async () => {
    fake.setScript([step.reply("no usage", { usage: false })]);
    const c = await collect(make());
    expect(c.events.some((e) => e.type === "usage")).toBe(false);
    expect(c.events.at(-1)?.type).toBe("done");
  });

  it("a last `data: [DONE]` without its closing blank line still ends the reply cleanly", async () => {
    const chunk = (body: object) => `data: ${JSON.stringify(body)}\n\n`;
    fake.setScript([
      {
        type: "raw",
        body:
          chunk({ id: "c", choices: [{ index: 0, delta: { content: "fine" } }] }) +
          chunk({ id: "c", choices: [{ index: 0, delta: {}, finish_reason: null }] }) +
          "data: [DONE]",
      },
    ]);
    const c = await collect(make());
    expect(c.error).toBeUndefined();
    expect(c.text).toBe("fine");
    expect(c.events.at(-1)).toMatchObject({ type: "done" });
  });
});
