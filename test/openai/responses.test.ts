// /v1/responses through the official client: plain, streamed events, previous_response_id, tools, failures.
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { openaiGateway, post } from "./harness.js";

describe("POST /v1/responses", () => {
  it("answers a response object with output_text and usage", async () => {
    await using gw = await openaiGateway([
      step.reply("Hi from the vendor.", { usage: { prompt_tokens: 3, completion_tokens: 4 } }),
    ]);
    const res = await gw.client.responses.create({ model: "keel", input: "hello", instructions: "be brief" });
    expect(res.object).toBe("response");
    expect(res.status).toBe("completed");
    expect(res.id).toMatch(/^resp_[0-9a-f]{64}$/);
    expect(res.output_text).toBe("Hi from the vendor.");
    expect(res.output[0]).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "Hi from the vendor." }],
    });
    expect(res.usage).toMatchObject({ input_tokens: 3, output_tokens: 4, total_tokens: 7 });
    expect(gw.fake.requests[0]!.body.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "hello" },
    ]);
  });

  it("streams the typed events in order, ending with response.completed", async () => {
    await using gw = await openaiGateway([step.reply("one two")]);
    const stream = await gw.client.responses.create({ model: "keel", input: "count", stream: true });
    const types: string[] = [];
    let text = "";
    let final: OpenAI.Responses.Response | undefined;
    const seqs: number[] = [];
    for await (const ev of stream) {
      types.push(ev.type);
      seqs.push(ev.sequence_number);
      if (ev.type === "response.output_text.delta") text += ev.delta;
      if (ev.type === "response.completed") final = ev.response;
    }
    expect(types[0]).toBe("response.created");
    expect(types[1]).toBe("response.in_progress");
    expect(types).toEqual(
      expect.arrayContaining([
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
      ]),
    );
    expect(types.at(-1)).toBe("response.completed");
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect(text).toBe("one two");
    expect(final?.output[0]).toMatchObject({
      type: "message",
      content: [{ type: "output_text", text: "one two" }],
    });
  });

  it("previous_response_id continues the conversation with only the new input", async () => {
    await using gw = await openaiGateway([step.reply("A1"), step.reply("A2")]);
    const first = await gw.client.responses.create({ model: "keel", input: "q1" });
    const second = await gw.client.responses.create({
      model: "keel",
      input: "q2",
      previous_response_id: first.id,
    });
    expect(second.output_text).toBe("A2");
    expect(second.previous_response_id).toBe(first.id);
    expect(gw.fake.requests[1]!.body.messages).toEqual([
      { role: "user", content: "q1" },
      { role: "assistant", content: "A1" },
      { role: "user", content: "q2" },
    ]);
    const third = await post(gw.base, "/responses", {
      model: "keel",
      input: "x",
      previous_response_id: `resp_${"0".repeat(64)}`,
    });
    expect(third.status).toBe(400);
    expect(((await third.json()) as any).error).toMatchObject({
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
  });

  it("store: false keeps nothing: no session is created and the id cannot be continued", async () => {
    await using gw = await openaiGateway([step.reply("A1"), step.reply("A2")]);
    const sessionsBefore = (await gw.handle.context.store.list({ limit: 100 })).total;
    const first = await gw.client.responses.create({ model: "keel", input: "q1", store: false });
    expect(first.output_text).toBe("A1");
    expect(first.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect((await gw.handle.context.store.list({ limit: 100 })).total).toBe(sessionsBefore);
    const next = await post(gw.base, "/responses", {
      model: "keel",
      input: "q2",
      previous_response_id: first.id,
    });
    expect(next.status).toBe(400);
    expect(((await next.json()) as any).error.code).toBe("previous_response_not_found");
    // Without store: false the conversation is kept, and its id continues it.
    const kept = await gw.client.responses.create({ model: "keel", input: "q3" });
    expect(kept.id).toMatch(/^resp_[0-9a-f]{64}$/);
  });

  it("function tools round trip as function_call items and function_call_output input", async () => {
    await using gw = await openaiGateway([
      { type: "tool-call", calls: [{ id: "call_9", name: "lookup", argumentChunks: ['{"q":"x"}'] }] },
      step.reply("found it"),
    ]);
    const tools = [
      {
        type: "function" as const,
        name: "lookup",
        parameters: { type: "object", properties: { q: { type: "string" } } },
        strict: false,
      },
    ];
    const first = await gw.client.responses.create({ model: "keel", input: "look x up", tools });
    expect(first.output).toEqual([
      expect.objectContaining({
        type: "function_call",
        call_id: "call_9",
        name: "lookup",
        arguments: '{"q":"x"}',
      }),
    ]);
    expect(gw.fake.requests[0]!.body.tools[0]).toMatchObject({
      type: "function",
      function: { name: "lookup" },
    });
    const second = await gw.client.responses.create({
      model: "keel",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "call_9", output: "42" }],
      tools,
    });
    expect(second.output_text).toBe("found it");
    expect(gw.fake.requests[1]!.body.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_9",
      content: "42",
    });
  });

  it("a failure after the stream started is response.failed", async () => {
    await using gw = await openaiGateway([{ type: "cut", chunks: ["part"] }]);
    const res = await post(gw.base, "/responses", { model: "keel", input: "x", stream: true });
    const body = await res.text();
    expect(body).toContain("event: response.output_text.delta");
    expect(body).toContain("event: response.failed");
    expect(body).not.toContain("response.completed");
  });
});
