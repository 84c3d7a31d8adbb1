// Classification of real HTTP answers and real socket failures into ModelError kinds (stability §2).
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CallContext,
  classifyHttpError,
  classifyNetworkError,
  MAX_BODY_CHARS,
  MAX_BODY_DEPTH,
  parseBoundedJson,
  parseErrorBody,
  parseRetryAfter,
} from "../../src/models/classify.js";
import type { ModelErrorKind } from "../../src/models/types.js";
import { type FakeOpenAI, type FakeStep, startFakeOpenAI } from "../fixtures/fake-openai.js";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());

/** Asks the fake for one scripted answer over real HTTP and classifies it. */
async function classify(s: FakeStep, model = "gpt-4o", path = "/chat/completions") {
  fake.setScript([s]);
  const url = `${fake.url}${path}`;
  const res = await fetch(url, { method: "POST", body: JSON.stringify({ model, stream: true }) });
  const ctx: CallContext = { provider: "acme", model, url };
  return classifyHttpError(res.status, await res.text(), res.headers, ctx);
}

const json = (message: string, code?: string) => ({
  error: { message, type: "invalid_request_error", code },
});

describe("HTTP status and body → kind", () => {
  const cases: [string, FakeStep, ModelErrorKind][] = [
    ["401", { type: "status", status: 401, body: json("Invalid API key") }, "auth"],
    ["403", { type: "status", status: 403, body: "Forbidden" }, "auth"],
    [
      "401 with billing wording",
      { type: "status", status: 401, body: json("Your credit balance is too low") },
      "billing",
    ],
    ["402", { type: "status", status: 402, body: "" }, "billing"],
    ["429", { type: "status", status: 429, body: json("Rate limit reached") }, "rate_limit"],
    [
      "429 insufficient_quota",
      { type: "status", status: 429, body: json("You exceeded your current quota", "insufficient_quota") },
      "billing",
    ],
    ["408", { type: "status", status: 408, body: "" }, "timeout"],
    [
      "400 context",
      {
        type: "status",
        status: 400,
        body: json("maximum context length is 4096 tokens", "context_length_exceeded"),
      },
      "context_length",
    ],
    ["413", { type: "status", status: 413, body: "Request Entity Too Large" }, "context_length"],
    [
      "400 content policy",
      {
        type: "status",
        status: 400,
        body: json("Your request was rejected as a result of our safety system", "content_policy_violation"),
      },
      "content_policy",
    ],
    ["400 other", { type: "status", status: 400, body: json("temperature: must be <= 2") }, "bad_request"],
    ["422", { type: "status", status: 422, body: { detail: "messages.0.role: invalid" } }, "bad_request"],
    ["500", { type: "status", status: 500, body: "oops" }, "server_error"],
    ["502", { type: "status", status: 502, body: "Bad Gateway" }, "server_error"],
    ["503", { type: "status", status: 503, body: "" }, "overloaded"],
    ["529", { type: "status", status: 529, body: "" }, "overloaded"],
    [
      "500 overloaded wording",
      { type: "status", status: 500, body: { error: { type: "overloaded_error", message: "Overloaded" } } },
      "overloaded",
    ],
  ];
  for (const [label, s, kind] of cases) {
    it(`${label} → ${kind}`, async () => {
      const err = await classify(s);
      expect(err.kind).toBe(kind);
      expect(err.provider).toBe("acme");
    });
  }

  it("a 404 naming the model, or with a model-not-found code, is model_not_found", async () => {
    expect((await classify({ type: "model-not-found" }, "gpt-9")).kind).toBe("model_not_found");
    const ollama = {
      type: "status",
      status: 404,
      body: { error: 'model "llama9" not found, try pulling it first' },
    } as const;
    expect((await classify(ollama, "llama9")).kind).toBe("model_not_found");
    const coded = {
      type: "status",
      status: 404,
      body: { error: { message: "nope", code: "model_not_found" } },
    } as const;
    expect((await classify(coded, "x")).kind).toBe("model_not_found");
  });

  it("any other 404 is endpoint_not_found naming the URL and the config key", async () => {
    const err = await classify({ type: "reply" }, "gpt-4o", "/v1/chat/completions"); // a doubled /v1/v1
    expect(err.status).toBe(404);
    expect(err.kind).toBe("endpoint_not_found");
    expect(err.url).toBe(`${fake.url}/v1/chat/completions`);
    expect(err.message).toContain(`${fake.url}/v1/chat/completions`);
    expect(err.message).toContain("models.providers.acme.baseUrl");
    const html = await classify({ type: "status", status: 404, body: "<html>Not Found</html>" });
    expect(html.kind).toBe("endpoint_not_found");
  });

  it("keeps the vendor's error code and message", async () => {
    const err = await classify({
      type: "status",
      status: 400,
      body: json("bad temperature", "invalid_value"),
    });
    expect(err.code).toBe("invalid_value");
    expect(err.message).toContain("bad temperature");
    expect(err.status).toBe(400);
  });

  it("parses Retry-After seconds, HTTP dates and retry-after-ms", async () => {
    const secs = await classify({ type: "status", status: 429, body: "", headers: { "retry-after": "12" } });
    expect(secs.retryAfterMs).toBe(12_000);
    const ms = await classify({
      type: "status",
      status: 503,
      body: "",
      headers: { "retry-after-ms": "250" },
    });
    expect(ms.retryAfterMs).toBe(250);
    const none = await classify({ type: "status", status: 429, body: "" });
    expect(none.retryAfterMs).toBeUndefined();
    const now = Date.parse("2030-01-01T00:00:00Z");
    const date = new Headers({ "retry-after": "Tue, 01 Jan 2030 00:01:30 GMT" });
    expect(parseRetryAfter(date, now)).toBe(90_000);
    expect(parseRetryAfter(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers({ "retry-after": "Mon, 31 Dec 2029 00:00:00 GMT" }), now)).toBe(0);
  });
});

describe("error bodies", () => {
  it("reads OpenAI, string-error, message and detail shapes, and plain text", () => {
    expect(parseErrorBody('{"error":{"message":"m","code":"c"}}')).toEqual({ message: "m", code: "c" });
    expect(parseErrorBody('{"error":{"message":"m","type":"t","code":null}}')).toEqual({
      message: "m",
      code: "t",
    });
    expect(parseErrorBody('{"error":"plain"}')).toEqual({ message: "plain" });
    expect(parseErrorBody('{"detail":"d"}')).toEqual({ message: "d" });
    expect(parseErrorBody("  Bad Gateway \n")).toEqual({ message: "Bad Gateway" });
  });
});

describe("hostile error bodies", () => {
  const ctx: CallContext = { provider: "acme", model: "gpt-4o", url: "http://vendor/v1/chat/completions" };
  const nested = (levels: number, leaf: string) =>
    `${'{"error":'.repeat(levels)}${leaf}${"}".repeat(levels)}`;

  it("a body nested 300,000 levels deep is not parsed past the depth limit and keeps its status's kind", () => {
    const depth = 300_000;
    const text = `{"error":{"message":"slow down","code":"rate_limit_exceeded","x":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
    expect(parseBoundedJson(text)).toBeUndefined();
    expect(parseErrorBody(text)).toEqual({ message: "slow down", code: "rate_limit_exceeded" });
    const e = classifyHttpError(429, text, new Headers(), ctx);
    expect(e.kind).toBe("rate_limit");
    expect(classifyHttpError(500, nested(300_000, "1"), new Headers(), ctx).kind).toBe("server_error");
    // Brackets inside strings do not count as nesting.
    expect(parseBoundedJson(`{"message":"${"[".repeat(1_000)}"}`)).toEqual({ message: "[".repeat(1_000) });
    expect(parseBoundedJson(nested(MAX_BODY_DEPTH - 1, "1"))).toBeDefined();
    expect(parseBoundedJson(nested(MAX_BODY_DEPTH + 1, "1"))).toBeUndefined();
  });

  it("a body past the size limit is read as text, and its message stays a prefix", () => {
    const text = JSON.stringify({ error: { message: "x".repeat(MAX_BODY_CHARS) } });
    expect(parseBoundedJson(text)).toBeUndefined();
    expect(parseErrorBody(text).message.length).toBeLessThanOrEqual(500);
  });
});

describe("transport failures → kind", () => {
  const ctx = (url: string): CallContext => ({ provider: "acme", model: "m", url });

  it("a refused connection is network, carrying the code", async () => {
    const closed = await startFakeOpenAI();
    await closed.close();
    const err = await fetch(closed.url).then(
      () => undefined,
      (e: unknown) => classifyNetworkError(e, ctx(closed.url), "POST"),
    );
    expect(err?.kind).toBe("network");
    expect(err?.code).toBe("ECONNREFUSED");
  });

  it("a socket reset before the answer is network", async () => {
    const server = createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const url = `http://127.0.0.1:${port}/`;
    try {
      const err = await fetch(url).then(
        () => undefined,
        (e: unknown) => classifyNetworkError(e, ctx(url), "POST"),
      );
      expect(err?.kind).toBe("network");
      expect(["ECONNRESET", "UND_ERR_SOCKET"]).toContain(err?.code);
    } finally {
      server.close();
    }
  });

  it("undici's own timeouts and TimeoutError are timeout", () => {
    const headers = Object.assign(new TypeError("fetch failed"), {
      cause: Object.assign(new Error("Headers Timeout Error"), { code: "UND_ERR_HEADERS_TIMEOUT" }),
    });
    expect(classifyNetworkError(headers, ctx("http://x/"), "POST").kind).toBe("timeout");
    expect(classifyNetworkError(new DOMException("t", "TimeoutError"), ctx("http://x/"), "POST").kind).toBe(
      "timeout",
    );
  });
});
