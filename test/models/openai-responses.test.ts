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
  imageOf: (body) =>
    body.input
      .findLast((m: { role?: string }) => m.role === "user")
      .content.filter((p: { type: string }) => p.type === "input_image"),
  expectedImages: [
    { type: "input_image", image_url: "https://example.test/cat.png", detail: "auto" },
    { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "auto" },
  ],
  requestFields: (body) => ({
    tools: (body.tools ?? []).map(
      (t: { type: string; name: string; description?: string; parameters: object }) => {
        expect(t.type).toBe("function");
        return { name: t.name, description: t.description, parameters: t.parameters };
      },
    ),
    temperature: body.temperature,
    stop: body.stop,
  }),
  noStopSequences: true,
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
});
