// /v1/chat/completions through the official OpenAI client: plain, streamed, usage, models, sessions.
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { openaiGateway, post } from "./harness.js";

describe("POST /v1/chat/completions", () => {
  it("answers a plain completion with the vendor's text and usage", async () => {
    await using gw = await openaiGateway([
      step.reply("Hello there, friend.", { usage: { prompt_tokens: 7, completion_tokens: 4 } }),
    ]);
    const res = await gw.client.chat.completions.create({
      model: "keel",
      messages: [
        { role: "system", content: "be kind" },
        { role: "user", content: "hi" },
      ],
    });
    expect(res.object).toBe("chat.completion");
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.choices[0]?.message.content).toBe("Hello there, friend.");
    expect(res.choices[0]?.finish_reason).toBe("stop");
    expect(res.usage).toEqual({ prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 });
    const sent = gw.fake.requests[0]!.body;
    expect(sent.model).toBe("mock-model");
    expect(sent.messages).toEqual([
      { role: "system", content: "be kind" },
      { role: "user", content: "hi" },
    ]);
  });

  it("streams chunks ending with [DONE], with a usage chunk when asked", async () => {
    await using gw = await openaiGateway([
      step.reply("one two three", { usage: { prompt_tokens: 5, completion_tokens: 3 } }),
    ]);
    const stream = await gw.client.chat.completions.create({
      model: "keel/main",
      messages: [{ role: "user", content: "count" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const finishes: (string | null)[] = [];
    let usage: unknown;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      for (const c of chunk.choices) {
        text += c.delta.content ?? "";
        if (c.finish_reason) finishes.push(c.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("one two three");
    expect(finishes).toEqual(["stop"]);
    expect(usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  it("ends the raw SSE body with data: [DONE]", async () => {
    await using gw = await openaiGateway([step.reply("ok")]);
    const res = await fetch(`${gw.base}/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer test-token-123", "content-type": "application/json" },
      body: JSON.stringify({ model: "keel", stream: true, messages: [{ role: "user", content: "x" }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const body = await res.text();
    expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(body).not.toContain('"usage"');
  });

  it("streams reasoning apart from the reply, as reasoning_content deltas", async () => {
    await using gw = await openaiGateway([
      { type: "thinking", thinking: ["let me ", "think"], text: "the answer" },
    ]);
    const res = await post(gw.base, "/chat/completions", {
      model: "keel",
      stream: true,
      messages: [{ role: "user", content: "q" }],
    });
    const deltas = (await res.text())
      .split("\n\n")
      .filter((f) => f.startsWith("data: {"))
      .map((f) => JSON.parse(f.slice(6)).choices[0]?.delta ?? {});
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe("let me think");
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("the answer");
  });

  it("reuses one keep-alive socket to the vendor across requests", async () => {
    await using gw = await openaiGateway([step.reply("a"), step.reply("b"), step.reply("c")]);
    for (let i = 0; i < 3; i++) {
      await gw.client.chat.completions.create({ model: "keel", messages: [{ role: "user", content: "x" }] });
    }
    const ports = gw.fake.requests.map((r) => r.remotePort);
    expect(new Set(ports).size).toBe(1);
  });

  it("runs a configured provider/model strictly", async () => {
    await using gw = await openaiGateway([step.reply("from m2")], { models: ["mock-model", "other-model"] });
    const res = await gw.client.chat.completions.create({
      model: "mock/other-model",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.choices[0]?.message.content).toBe("from m2");
    expect(gw.fake.requests[0]!.body.model).toBe("other-model");
  });
});

describe("GET /v1/models", () => {
  it("lists the agents and the configured models, and answers one by id", async () => {
    await using gw = await openaiGateway([], { models: ["mock-model", "other-model"] });
    const ids: string[] = [];
    for await (const m of gw.client.models.list()) ids.push(m.id);
    expect(ids).toEqual(
      expect.arrayContaining(["keel", "keel/default", "keel/main", "mock/mock-model", "mock/other-model"]),
    );
    const one = await gw.client.models.retrieve("mock/other-model");
    expect(one).toMatchObject({ id: "mock/other-model", object: "model", owned_by: "mock" });
  });
});
