// The ModelProvider contract: one suite every adapter runs against its fake vendor (real loopback HTTP).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type {
  ContentPart,
  ModelError,
  ModelErrorKind,
  ModelProvider,
  StreamEvent,
  StreamRequest,
  ToolDefinition,
} from "../../src/models/types.js";
import type { FakeScript, FakeStep, RecordedRequest } from "../fixtures/fake-openai.js";

/** What the suite needs of a fake vendor; every fake speaks the same script language. */
export interface FakeVendor {
  url: string;
  requests: RecordedRequest[];
  setScript(script: FakeScript): void;
  close(): Promise<void>;
}

export interface ProviderOptions {
  timeoutSeconds?: number;
  connectTimeoutMs?: number;
  baseUrl?: string;
}

/** Request fields the contract sends, read back from a recorded vendor body in Keel's terms. */
export interface RequestFields {
  tools: ToolDefinition[];
  temperature: number | undefined;
  stop: string[] | undefined;
}

export interface ContractTarget {
  startFake(): Promise<FakeVendor>;
  makeProvider(fake: FakeVendor, options?: ProviderOptions): ModelProvider;
  /** The vendor-shaped image parts of the last user message in a recorded request body. */
  imageOf(recordedBody: any): unknown;
  /** What `imageOf` must return for {@link CONTRACT_IMAGES}, in the vendor's own shape. */
  expectedImages: unknown;
  /** The tools, temperature and stop sequences a recorded request body carries, normalised. */
  requestFields(recordedBody: any): RequestFields;
  /** The vendor's API has no stop sequences (the Responses API): `stop` is expected absent. */
  noStopSequences?: boolean;
}

/** The two images the contract sends in one user message: by URL, then inline base64. */
export const CONTRACT_IMAGES: ContentPart[] = [
  { type: "image", source: { kind: "url", url: "https://example.test/cat.png" } },
  { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBORw0KGgo=" } },
];

/** The tool the contract offers. */
export const CONTRACT_TOOL: ToolDefinition = {
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

export interface Collected {
  events: StreamEvent[];
  text: string;
  error?: unknown;
}

/** Runs one stream to its end, keeping what arrived before a failure. */
export async function collect(
  provider: ModelProvider,
  signal: AbortSignal = new AbortController().signal,
  onEvent?: (event: StreamEvent) => void,
  extra: Partial<Omit<StreamRequest, "signal">> = {},
): Promise<Collected> {
  const events: StreamEvent[] = [];
  const request: StreamRequest = {
    model: "gpt-test",
    messages: [{ role: "user" as const, content: "hi" }],
    ...(provider.credentials[0] ? { credential: provider.credentials[0] } : {}),
    ...extra,
    signal,
  };
  try {
    for await (const event of provider.stream(request)) {
      events.push(event);
      onEvent?.(event);
    }
  } catch (error) {
    return { events, text: textOf(events), error };
  }
  return { events, text: textOf(events) };
}

const textOf = (events: StreamEvent[]) => events.map((e) => (e.type === "text" ? e.delta : "")).join("");

function modelError(c: Collected): ModelError {
  expect(c.error, `expected a failure, got events ${JSON.stringify(c.events)}`).toBeDefined();
  expect((c.error as Error).name).toBe("ModelError");
  return c.error as ModelError;
}

/** Status faults and the kind each must become (stability §2). */
const STATUS_FAULTS: [string, FakeStep, ModelErrorKind, number][] = [
  ["401", { type: "status", status: 401, body: { error: { message: "Incorrect API key" } } }, "auth", 401],
  [
    "403 billing",
    { type: "status", status: 403, body: { error: { message: "insufficient credits" } } },
    "billing",
    403,
  ],
  ["402", { type: "status", status: 402, body: "Payment Required" }, "billing", 402],
  ["404 model", { type: "model-not-found" }, "model_not_found", 404],
  ["404 plain", { type: "status", status: 404, body: "Not Found" }, "endpoint_not_found", 404],
  ["408", { type: "status", status: 408, body: "" }, "timeout", 408],
  [
    "400 context",
    {
      type: "status",
      status: 400,
      body: {
        error: {
          message: "This model's maximum context length is 8192 tokens",
          code: "context_length_exceeded",
        },
      },
    },
    "context_length",
    400,
  ],
  [
    "400 policy",
    {
      type: "status",
      status: 400,
      body: { error: { message: "rejected by the content policy", code: "content_policy_violation" } },
    },
    "content_policy",
    400,
  ],
  [
    "400 other",
    { type: "status", status: 400, body: { error: { message: "messages: field required" } } },
    "bad_request",
    400,
  ],
  ["500", { type: "status", status: 500, body: "Internal Server Error" }, "server_error", 500],
  ["503", { type: "status", status: 503, body: "upstream unavailable" }, "overloaded", 503],
  [
    "529",
    { type: "status", status: 529, body: { error: { type: "overloaded_error", message: "Overloaded" } } },
    "overloaded",
    529,
  ],
];

/** Registers the contract suite for one adapter. */
export function modelProviderContract(name: string, target: ContractTarget): void {
  describe(`ModelProvider contract: ${name}`, () => {
    let fake: FakeVendor;
    let provider: ModelProvider;
    beforeAll(async () => {
      fake = await target.startFake();
    });
    afterAll(() => fake.close());
    beforeEach(() => {
      fake.requests.length = 0;
      provider = target.makeProvider(fake);
    });

    it("streams text in order, then usage, then done", async () => {
      fake.setScript([
        {
          type: "reply",
          chunks: ["Hel", "lo ", "world"],
          usage: { prompt_tokens: 11, completion_tokens: 3 },
        },
      ]);
      const c = await collect(provider);
      expect(c.error).toBeUndefined();
      expect(c.text).toBe("Hello world");
      expect(c.events.filter((e) => e.type === "text").length).toBe(3);
      expect(c.events.at(-2)).toEqual({ type: "usage", inputTokens: 11, outputTokens: 3 });
      expect(c.events.at(-1)).toMatchObject({ type: "done", stopReason: "stop", responseModel: "gpt-test" });
      expect(fake.requests[0]!.body.messages).toEqual([{ role: "user", content: "hi" }]);
    });

    it("streams a tool call with arguments split across chunks, assembled once per call", async () => {
      fake.setScript([
        {
          type: "tool-call",
          text: "Checking. ",
          calls: [
            { id: "call_1", name: "get_weather", argumentChunks: ['{"ci', 'ty":"Pa', 'ris"}'] },
            { id: "call_2", name: "get_time", argumentChunks: ["{}"] },
          ],
        },
      ]);
      const c = await collect(provider, undefined, undefined, { tools: [CONTRACT_TOOL] });
      expect(c.error).toBeUndefined();
      expect(c.text).toBe("Checking. ");
      const calls = c.events.filter((e) => e.type === "tool_call");
      expect(calls).toEqual([
        { type: "tool_call", id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "tool_call", id: "call_2", name: "get_time", arguments: "{}" },
      ]);
      const deltas = c.events.filter((e) => e.type === "tool_call_delta");
      // More than one fragment for the first call: the arguments really arrived in pieces.
      expect(deltas.filter((d) => d.index === deltas[0]!.index).length).toBeGreaterThan(1);
      const argsOf = (index: number) =>
        deltas
          .filter((d) => d.index === index)
          .map((d) => d.argumentsDelta)
          .join("");
      expect(argsOf(deltas[0]!.index)).toBe('{"city":"Paris"}');
      // Each assembled call comes after its own fragments.
      const lastDelta = c.events.lastIndexOf(deltas.filter((d) => d.index === deltas[0]!.index).at(-1)!);
      expect(c.events.indexOf(calls[0]!)).toBeGreaterThan(lastDelta);
      expect(c.events.at(-1)).toMatchObject({ type: "done", stopReason: "tool_calls" });
    });

    it("sends image parts (URL and base64) in the vendor's shape", async () => {
      fake.setScript([{ type: "reply", text: "a cat" }]);
      const content: ContentPart[] = [{ type: "text", text: "What is this?" }, ...CONTRACT_IMAGES];
      const c = await collect(provider, undefined, undefined, { messages: [{ role: "user", content }] });
      expect(c.error).toBeUndefined();
      expect(target.imageOf(fake.requests[0]!.body)).toEqual(target.expectedImages);
    });

    it("passes tools, temperature and stop sequences in the request", async () => {
      fake.setScript([{ type: "reply", text: "ok" }]);
      await collect(provider, undefined, undefined, {
        tools: [CONTRACT_TOOL],
        temperature: 0.25,
        stop: ["END", "STOP"],
      });
      expect(target.requestFields(fake.requests[0]!.body)).toEqual({
        tools: [CONTRACT_TOOL],
        temperature: 0.25,
        stop: target.noStopSequences ? undefined : ["END", "STOP"],
      });
    });

    it("streams thinking as thinking events, apart from the reply text", async () => {
      fake.setScript([{ type: "thinking", thinking: ["The user ", "greets me."], text: "Hello there." }]);
      const c = await collect(provider, undefined, undefined, { reasoning: "low" });
      expect(c.error).toBeUndefined();
      const thinking = c.events.map((e) => (e.type === "thinking" ? e.delta : "")).join("");
      expect(thinking).toBe("The user greets me.");
      expect(c.text).toBe("Hello there.");
      // All of the thinking comes before the reply.
      const lastThinking = c.events.findLastIndex((e) => e.type === "thinking");
      expect(lastThinking).toBeLessThan(c.events.findIndex((e) => e.type === "text"));
      expect(c.events.at(-1)).toMatchObject({ type: "done", stopReason: "stop" });
    });

    it("a slow but steady stream never trips the idle watchdog", async () => {
      provider = target.makeProvider(fake, { timeoutSeconds: 1 });
      fake.setScript([{ type: "reply", chunks: ["a", "b", "c", "d", "e"], delayMs: 400 }]);
      const c = await collect(provider); // ~1.6 s in all, each gap under 1 s
      expect(c.error).toBeUndefined();
      expect(c.text).toBe("abcde");
    });

    it("an abort mid-stream throws the signal's reason and closes the vendor's socket", async () => {
      fake.setScript([{ type: "reply", chunks: ["one ", "two ", "three ", "four"], delayMs: 300 }]);
      const controller = new AbortController();
      const reason = new Error("user abort");
      const c = await collect(provider, controller.signal, (e) => {
        if (e.type === "text") controller.abort(reason);
      });
      expect(c.error).toBe(reason);
      expect(c.text).toBe("one ");
      expect(await fake.requests[0]!.outcome).toBe("client-closed");
    });

    it("an abort while waiting for headers reaches the fetch; an aborted signal sends nothing", async () => {
      fake.setScript([{ type: "hang-before-headers" }]);
      const controller = new AbortController();
      const reason = new Error("stop");
      setTimeout(() => controller.abort(reason), 150);
      const started = Date.now();
      const c = await collect(provider, controller.signal);
      expect(c.error).toBe(reason);
      // Bounds are loose on purpose (a loaded CI machine): they only tell "ours fired" from "a
      // 30 s default fired"; the messages say which deadline it was.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await fake.requests[0]!.outcome).toBe("client-closed");
      expect((await collect(provider, controller.signal)).error).toBe(reason);
      expect(fake.requests).toHaveLength(1);
    });

    it("leaving the loop early ends the request", async () => {
      fake.setScript([{ type: "reply", chunks: ["x", "y", "z"], delayMs: 300 }]);
      for await (const e of provider.stream({
        model: "m",
        messages: [],
        signal: new AbortController().signal,
      })) {
        if (e.type === "text") break;
      }
      expect(await fake.requests[0]!.outcome).toBe("client-closed");
    });

    for (const [label, script, kind, status] of STATUS_FAULTS) {
      it(`HTTP ${label} → ${kind}`, async () => {
        fake.setScript([script]);
        const err = modelError(await collect(provider));
        expect(err.kind).toBe(kind);
        expect(err.status).toBe(status);
        expect(err.provider).toBe(provider.id);
        expect(err.model).toBe("gpt-test");
        if (kind === "endpoint_not_found") expect(err.message).toContain(err.url);
      });
    }

    it("429 → rate_limit with Retry-After seconds or an HTTP date", async () => {
      fake.setScript([
        {
          type: "status",
          status: 429,
          body: { error: { message: "slow down" } },
          headers: { "retry-after": "7" },
        },
        {
          type: "status",
          status: 429,
          body: "",
          headers: { "retry-after": new Date(Date.now() + 30_000).toUTCString() },
        },
      ]);
      const a = modelError(await collect(provider));
      expect([a.kind, a.retryAfterMs]).toEqual(["rate_limit", 7_000]);
      const b = modelError(await collect(provider));
      expect(b.kind).toBe("rate_limit");
      expect(b.retryAfterMs).toBeGreaterThan(25_000);
      expect(b.retryAfterMs).toBeLessThanOrEqual(30_000);
    });

    it("a server that never answers → timeout after connectTimeoutMs", async () => {
      provider = target.makeProvider(fake, { connectTimeoutMs: 150 });
      fake.setScript([{ type: "hang-before-headers" }]);
      const started = Date.now();
      const err = modelError(await collect(provider));
      expect(err.kind).toBe("timeout");
      expect(err.message).toContain("connectTimeoutMs");
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await fake.requests[0]!.outcome).toBe("client-closed");
    });

    it("a stream that goes silent → timeout from the idle watchdog, text before it kept", async () => {
      provider = target.makeProvider(fake, { timeoutSeconds: 1 });
      fake.setScript([{ type: "hang-after-headers", chunks: ["partial"] }]);
      const started = Date.now();
      const c = await collect(provider);
      const err = modelError(c);
      expect(err.kind).toBe("timeout");
      expect(err.message).toContain("idle watchdog");
      expect(c.text).toBe("partial");
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(Date.now() - started).toBeLessThan(8_000);
    });

    it("a socket cut mid-stream → network, text before it kept", async () => {
      fake.setScript([{ type: "cut", chunks: ["half a "] }]);
      const c = await collect(provider);
      expect(modelError(c).kind).toBe("network");
      expect(c.text).toBe("half a ");
      expect(c.events.some((e) => e.type === "done")).toBe(false);
    });

    it("a stream that ends cleanly before finish_reason or [DONE] → network", async () => {
      fake.setScript([{ type: "cut", chunks: ["trunc"], graceful: true }]);
      const c = await collect(provider);
      expect(modelError(c).kind).toBe("network");
      expect(modelError(c).message).toContain("ended before the reply was complete");
      expect(c.text).toBe("trunc");
    });

    it("a malformed chunk → server_error naming it", async () => {
      fake.setScript([{ type: "malformed", chunks: ["ok "] }]);
      const err = modelError(await collect(provider));
      expect(err.kind).toBe("server_error");
      expect(err.message).toContain("malformed chunk");
    });

    it('finish_reason "error" → server_error', async () => {
      fake.setScript([{ type: "finish-error", chunks: ["so far"] }]);
      const c = await collect(provider);
      expect(modelError(c).kind).toBe("server_error");
      expect(c.text).toBe("so far");
    });

    it("a refused connection → network", async () => {
      const closed = await target.startFake();
      await closed.close();
      const err = modelError(await collect(target.makeProvider(closed)));
      expect(err.kind).toBe("network");
      expect(err.message).toContain("ECONNREFUSED");
    });
  });
}
