// Streamed /v1 requests that do not end cleanly: disconnect, a failure mid-stream, a slow first
// token (keep-alive comments), and gateway.http.maxRequestMs.
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { openClient } from "../helpers/ws.js";
import { openaiGateway, post } from "./harness.js";

const hi = [{ role: "user" as const, content: "hi" }];

describe("streamed /v1/chat/completions", () => {
  it("aborts the run when the client disconnects: the vendor sees its socket close", async () => {
    await using gw = await openaiGateway([
      step.reply("one two three four five six seven eight", { delayMs: 200 }),
    ]);
    const controller = new AbortController();
    const stream = await gw.client.chat.completions.create(
      { model: "keel", messages: hi, stream: true },
      { signal: controller.signal },
    );
    let text = "";
    try {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        if (text.length > 0) controller.abort();
      }
    } catch {
      // The SDK may surface the abort as an error or just stop; either way the socket is gone.
    }
    // The first words only (a loaded machine may deliver a second chunk before the abort lands).
    expect(text.startsWith("one ")).toBe(true);
    expect(text.length).toBeLessThan("one two three four five six seven eight".length);
    expect(await gw.fake.requests[0]!.outcome).toBe("client-closed");
    await eventually(() => expect(gw.handle.context.runs.stats().active).toBe(0));
  });

  it("a plain request owns its run too: closing it aborts the vendor call", async () => {
    await using gw = await openaiGateway([{ type: "hang-before-headers" }]);
    const controller = new AbortController();
    const pending = post(
      gw.base,
      "/chat/completions",
      { model: "keel", messages: hi },
      {},
      controller.signal,
    );
    await eventually(() => expect(gw.fake.requests).toHaveLength(1));
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(await gw.fake.requests[0]!.outcome).toBe("client-closed");
    await eventually(() => expect(gw.handle.context.runs.stats().active).toBe(0));
  });

  it("a provider failure after the stream started is an error chunk, not a clean end", async () => {
    await using gw = await openaiGateway([{ type: "cut", chunks: ["partial ", "text"] }]);
    const stream = await gw.client.chat.completions.create({ model: "keel", messages: hi, stream: true });
    let text = "";
    let caught: unknown;
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    } catch (err) {
      caught = err;
    }
    expect(text).toBe("partial text");
    expect(caught).toBeInstanceOf(OpenAI.APIError);
    // A fresh gateway: the cut cooled the first one's only candidate.
    await using other = await openaiGateway([{ type: "cut", chunks: ["again"] }]);
    const res = await post(other.base, "/chat/completions", { model: "keel", messages: hi, stream: true });
    expect(res.status).toBe(200);
    const raw = await res.text();
    expect(raw).toContain('"content":"again"');
    expect(raw).toContain('data: {"error":{');
    expect(raw).not.toContain("[DONE]");
  });

  it("sends keep-alive comments while the first token is slow", async () => {
    await using gw = await openaiGateway([step.reply("late", { headersDelayMs: 600 })], {
      config: { gateway: { http: { sseKeepAliveMs: 100 } } },
    });
    const res = await post(gw.base, "/chat/completions", { model: "keel", messages: hi, stream: true });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain(": keep-alive\n\n");
    expect(body).toContain('"content":"late"');
    expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });

  it("gateway.http.maxRequestMs bounds a request: 504 before output, error chunk after", async () => {
    await using gw = await openaiGateway(
      [{ type: "hang-before-headers" }, { type: "hang-after-headers", chunks: ["so far"] }],
      {
        config: { gateway: { http: { maxRequestMs: 1_000, sseKeepAliveMs: 5_000 } } },
      },
    );
    const plain = await post(gw.base, "/chat/completions", { model: "keel", messages: hi });
    expect(plain.status).toBe(504);
    expect(((await plain.json()) as any).error).toMatchObject({ code: "timeout", type: "server_error" });
    expect(await gw.fake.requests[0]!.outcome).toBe("client-closed");
    const streamed = await post(gw.base, "/chat/completions", { model: "keel", messages: hi, stream: true });
    expect(streamed.status).toBe(200);
    const body = await streamed.text();
    expect(body).toContain('"content":"so far"');
    expect(body).toContain('"code":"timeout"');
    expect(body).not.toContain("[DONE]");
  });
});

describe("/v1 runs are ordinary runs", () => {
  it("WebSocket operators see an HTTP request's run like any other", async () => {
    await using gw = await openaiGateway([step.reply("seen by all")]);
    await using ws = await openClient(gw.url);
    const final = ws.next(
      (f) => f.type === "event" && f.event === "chat" && f.payload.state === "final",
      10_000,
    );
    const res = await gw.client.chat.completions.create({ model: "keel", user: "bob", messages: hi });
    expect(res.choices[0]?.message.content).toBe("seen by all");
    const ev = await final;
    expect(ev.payload).toMatchObject({ sessionKey: "agent:main:openai-user:bob", state: "final" });
  });

  it("past runs.maxConcurrent a request is a 503 with Retry-After", async () => {
    await using gw = await openaiGateway([{ type: "hang-before-headers" }], {
      config: { runs: { maxConcurrent: 1 } },
    });
    const controller = new AbortController();
    const first = post(gw.base, "/chat/completions", { model: "keel", messages: hi }, {}, controller.signal);
    await eventually(() => expect(gw.fake.requests).toHaveLength(1));
    const second = await post(gw.base, "/chat/completions", { model: "keel", messages: hi });
    expect(second.status).toBe(503);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await second.json()) as any).error).toMatchObject({ type: "server_error", code: "overloaded" });
    controller.abort();
    await first.catch(() => undefined);
  });
});
