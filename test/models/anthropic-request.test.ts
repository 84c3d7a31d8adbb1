// What the Anthropic adapter sends: system on top, content blocks, alternation, tools, sampling and thinking.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AnthropicMessagesProvider } from "../../src/models/anthropic-messages.js";
import { PROVIDER_FACTORIES } from "../../src/models/providers.js";
import { ProviderTransport } from "../../src/models/transport.js";
import type { ChatMessage, StreamRequest } from "../../src/models/types.js";
import { type FakeAnthropic, startFakeAnthropic } from "../fixtures/fake-anthropic.js";

describe("anthropic-messages request body", () => {
  let fake: FakeAnthropic;
  let provider: AnthropicMessagesProvider;
  beforeAll(async () => {
    fake = await startFakeAnthropic();
    provider = new AnthropicMessagesProvider(
      "fake",
      { baseUrl: fake.url },
      [{ id: "fake:default", apiKey: "k" }],
      new ProviderTransport("fake", { timeoutSeconds: 30, connectTimeoutMs: 5_000, maxConnections: 4 }),
    );
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  /** Sends one request and returns the body the vendor received. */
  const sent = async (request: Partial<StreamRequest> & { messages: readonly ChatMessage[] }) => {
    for await (const _ of provider.stream({
      model: "claude-t",
      signal: new AbortController().signal,
      ...request,
    })) {
      // drained: the test reads what the vendor received
    }
    return fake.requests.at(-1)!.body;
  };

  it("system messages go to the top-level system; the rest stay in order", async () => {
    const body = await sent({
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
        { role: "system", content: [{ type: "text", text: "Answer in French." }] },
      ],
    });
    expect(body.system).toBe("Be brief.\n\nAnswer in French.");
    expect(body.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("image parts become image blocks (base64 with media_type, or url)", async () => {
    const body = await sent({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { kind: "url", url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
    });
    expect(body.messages[0].content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
    ]);
  });

  it("tool calls become tool_use blocks with parsed input; tool results a user message of tool_result blocks", async () => {
    const body = await sent({
      messages: [
        { role: "user", content: "weather in Paris and Rome?" },
        {
          role: "assistant",
          content: [
            { type: "thinking", text: "two calls" },
            { type: "text", text: "Checking." },
            { type: "tool_call", id: "toolu_1", name: "weather", arguments: '{"city":"Paris"}' },
            { type: "tool_call", id: "toolu_2", name: "weather", arguments: "not json" },
          ],
        },
        { role: "tool", content: [{ type: "tool_result", callId: "toolu_1", content: "18C" }] },
        {
          role: "tool",
          content: [{ type: "tool_result", callId: "toolu_2", content: "bad arguments", isError: true }],
        },
      ],
    });
    expect(body.messages).toEqual([
      { role: "user", content: "weather in Paris and Rome?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_2", name: "weather", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
          { type: "tool_result", tool_use_id: "toolu_2", content: "bad arguments", is_error: true },
        ],
      },
    ]);
  });

  it("consecutive same-role messages are merged (tool results first), empty text dropped", async () => {
    const body = await sent({
      messages: [
        { role: "user", content: "one" },
        { role: "user", content: "" },
        { role: "user", content: "two" },
        { role: "assistant", content: "a" },
        { role: "assistant", content: "b" },
        { role: "user", content: "and then" },
        { role: "tool", content: [{ type: "tool_result", callId: "t", content: "r" }] },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "one" },
          { type: "text", text: "two" },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "t", content: "r" },
          { type: "text", text: "and then" },
        ],
      },
    ]);
  });

  it("tools, tool_choice, temperature, top_p, stop_sequences and max_tokens", async () => {
    const tools = [{ name: "f", description: "does f", parameters: { type: "object", properties: {} } }];
    const body = await sent({
      messages: [{ role: "user", content: "x" }],
      tools,
      toolChoice: "auto",
      temperature: 0.3,
      topP: 0.8,
      stop: ["END"],
      maxTokens: 256,
    });
    expect(body).toMatchObject({
      max_tokens: 256,
      tools: [{ name: "f", description: "does f", input_schema: { type: "object", properties: {} } }],
      tool_choice: { type: "auto" },
      temperature: 0.3,
      top_p: 0.8,
      stop_sequences: ["END"],
    });
    expect(body.thinking).toBeUndefined();
    const choices: [StreamRequest["toolChoice"], object][] = [
      ["none", { type: "none" }],
      ["required", { type: "any" }],
      [{ name: "f" }, { type: "tool", name: "f" }],
    ];
    for (const [toolChoice, wire] of choices) {
      expect(
        (await sent({ messages: [{ role: "user", content: "x" }], tools, toolChoice })).tool_choice,
      ).toEqual(wire);
    }
    // Without tools there is nothing to choose from; an OpenAI-range temperature is capped at 1.
    const bare = await sent({
      messages: [{ role: "user", content: "x" }],
      toolChoice: "required",
      temperature: 1.7,
    });
    expect(bare.tools).toBeUndefined();
    expect(bare.tool_choice).toBeUndefined();
    expect(bare.temperature).toBe(1);
  });

  it("reasoning → thinking budget (low 1024, medium 4096, high 16384), max_tokens above it, no temperature", async () => {
    const low = await sent({
      messages: [{ role: "user", content: "x" }],
      reasoning: "low",
      temperature: 0.5,
    });
    expect(low.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(low.max_tokens).toBe(4096);
    expect(low.temperature).toBeUndefined();
    const medium = await sent({ messages: [{ role: "user", content: "x" }], reasoning: "medium" });
    expect(medium.thinking.budget_tokens).toBe(4096);
    expect(medium.max_tokens).toBe(8192);
    const high = await sent({
      messages: [{ role: "user", content: "x" }],
      reasoning: "high",
      maxTokens: 32000,
      topP: 0.5,
    });
    expect(high.thinking.budget_tokens).toBe(16384);
    expect(high.max_tokens).toBe(32000);
    expect(high.top_p).toBe(0.95);
  });

  it("a sealed thinking block goes back first; answering tool calls without one turns thinking off", async () => {
    const call = {
      type: "tool_call" as const,
      id: "toolu_1",
      name: "weather",
      arguments: '{"city":"Paris"}',
    };
    const turn = (assistant: ChatMessage["content"]): ChatMessage[] => [
      { role: "user", content: "weather in Paris?" },
      { role: "assistant", content: assistant },
      { role: "tool", content: [{ type: "tool_result", callId: "toolu_1", content: "18C" }] },
    ];
    const sealed = await sent({
      messages: turn([{ type: "thinking", text: "one call", signature: "sig-1", model: "claude-t" }, call]),
      reasoning: "high",
    });
    expect(sealed.thinking).toEqual({ type: "enabled", budget_tokens: 16384 });
    expect(sealed.messages[1].content[0]).toEqual({
      type: "thinking",
      thinking: "one call",
      signature: "sig-1",
    });

    // The same turn from an OpenAI-shaped conversation: no seal to send, so no thinking is asked
    // for (the API would refuse the request), and temperature applies again.
    const unsealed = await sent({
      messages: turn([{ type: "thinking", text: "one call" }, call]),
      reasoning: "high",
      temperature: 0.3,
    });
    expect(unsealed.thinking).toBeUndefined();
    expect(unsealed.temperature).toBe(0.3);
    expect(unsealed.messages[1].content).toEqual([
      { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
    ]);

    // A new question after such a turn needs no seal: thinking is asked for as usual.
    const next = await sent({
      messages: [
        ...turn([call]),
        { role: "assistant", content: "18C in Paris." },
        { role: "user", content: "Rome?" },
      ],
      reasoning: "low",
    });
    expect(next.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });

    // Sealed by another model (after a failover or a model change): that seal would be refused.
    const other = await sent({
      messages: turn([
        { type: "thinking", text: "one call", signature: "sig-1", model: "claude-other" },
        call,
      ]),
      reasoning: "high",
    });
    expect(other.thinking).toBeUndefined();
    expect(JSON.stringify(other.messages)).not.toContain("sig-1");

    // A second call in the same turn has no reasoning of its own: the turn's first reply carries it.
    const call2 = { ...call, id: "toolu_2" };
    const loop = await sent({
      messages: [
        ...turn([{ type: "thinking", text: "one call", signature: "sig-1", model: "claude-t" }, call]),
        { role: "assistant", content: [call2] },
        { role: "tool", content: [{ type: "tool_result", callId: "toolu_2", content: "20C" }] },
      ],
      reasoning: "high",
    });
    expect(loop.thinking).toEqual({ type: "enabled", budget_tokens: 16384 });
    expect(loop.messages[1].content[0].type).toBe("thinking");

    // Two replies merged into one message (nothing between them): reasoning only opens it.
    const merged = await sent({
      messages: [
        { role: "user", content: "q" },
        {
          role: "assistant",
          content: [
            { type: "thinking", text: "a", signature: "sig-a", model: "claude-t" },
            { type: "text", text: "A." },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "thinking", text: "b", signature: "sig-b", model: "claude-t" },
            { type: "text", text: "B." },
          ],
        },
        { role: "user", content: "next" },
      ],
      reasoning: "low",
    });
    expect(merged.messages[1].content.map((b: { type: string }) => b.type)).toEqual([
      "thinking",
      "text",
      "text",
    ]);

    // A request that does not think gets no reasoning blocks back, sealed or not.
    const plain = await sent({
      messages: turn([{ type: "thinking", text: "one call", signature: "sig-1", model: "claude-t" }, call]),
    });
    expect(plain.thinking).toBeUndefined();
    expect(JSON.stringify(plain.messages)).not.toContain("sig-1");
  });

  it("a forced tool choice wins over thinking (the API refuses the pair)", async () => {
    const tools = [{ name: "f", parameters: { type: "object" } }];
    const body = await sent({
      messages: [{ role: "user", content: "x" }],
      tools,
      toolChoice: "required",
      reasoning: "high",
    });
    expect(body.thinking).toBeUndefined();
    expect(body.tool_choice).toEqual({ type: "any" });
    expect(body.max_tokens).toBe(4096);
  });

  it("the provider factory builds this adapter for api anthropic-messages", async () => {
    const config = {
      baseUrl: "https://api.anthropic.com",
      api: "anthropic-messages" as const,
      timeoutSeconds: 120,
      connectTimeoutMs: 30_000,
      maxConnections: 4,
      models: [],
    };
    const pool = new ProviderTransport("claude", {
      timeoutSeconds: 1,
      connectTimeoutMs: 100,
      maxConnections: 1,
    });
    const built = PROVIDER_FACTORIES["anthropic-messages"]("claude", config, [], pool);
    expect(built).toBeInstanceOf(AnthropicMessagesProvider);
    expect((built as AnthropicMessagesProvider).url).toBe("https://api.anthropic.com/v1/messages");
    await pool.close();
  });
});
