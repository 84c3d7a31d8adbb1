// /v1/chat/completions conversations: tools round trip, image parts, sessions by user or header.
import { describe, expect, it } from "vitest";
import { ONE_OFF_SESSION } from "../../src/sessions/usage-store.js";
import type { FakeStep } from "../fixtures/fake-openai.js";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { openaiGateway, post } from "./harness.js";

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const toolCall: FakeStep = {
  type: "tool-call",
  calls: [{ id: "call_1", name: "get_weather", argumentChunks: ['{"city":', '"Oslo"}'] }],
};
// A 1x1 PNG.
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

describe("tools", () => {
  it("passes tools on, returns the call as tool_calls, and continues with the tool result", async () => {
    await using gw = await openaiGateway([toolCall, step.reply("It is sunny in Oslo.")]);
    const first = await gw.client.chat.completions.create({
      model: "keel",
      messages: [{ role: "user", content: "weather in Oslo?" }],
      tools: [weatherTool],
      tool_choice: "auto",
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
    ]);
    const sent = gw.fake.requests[0]!.body;
    expect(sent.tools).toEqual([weatherTool]);
    expect(sent.tool_choice).toBe("auto");

    const second = await gw.client.chat.completions.create({
      model: "keel",
      messages: [
        { role: "user", content: "weather in Oslo?" },
        choice.message,
        { role: "tool", tool_call_id: "call_1", content: '{"sky":"sunny"}' },
      ],
      tools: [weatherTool],
    });
    expect(second.choices[0]?.message.content).toBe("It is sunny in Oslo.");
    expect(gw.fake.requests[1]!.body.messages).toEqual([
      { role: "user", content: "weather in Oslo?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"sky":"sunny"}' },
    ]);
  });

  it("streams a tool call as tool-call deltas with finish_reason tool_calls", async () => {
    await using gw = await openaiGateway([toolCall]);
    const stream = await gw.client.chat.completions.create({
      model: "keel",
      messages: [{ role: "user", content: "weather?" }],
      tools: [weatherTool],
      stream: true,
    });
    const calls: Record<number, { id?: string; name?: string; args: string }> = {};
    let finish: string | null = null;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      for (const d of c?.delta.tool_calls ?? []) {
        const slot = (calls[d.index] ??= { args: "" });
        if (d.id) slot.id = d.id;
        if (d.function?.name) slot.name = d.function.name;
        slot.args += d.function?.arguments ?? "";
      }
      if (c?.finish_reason) finish = c.finish_reason;
    }
    expect(finish).toBe("tool_calls");
    expect(calls).toEqual({ 0: { id: "call_1", name: "get_weather", args: '{"city":"Oslo"}' } });
  });

  it("validates and passes on sampling fields", async () => {
    await using gw = await openaiGateway([step.reply("ok")]);
    await gw.client.chat.completions.create({
      model: "keel",
      messages: [{ role: "user", content: "x" }],
      temperature: 0.5,
      top_p: 0.9,
      stop: ["END"],
      max_completion_tokens: 64,
      seed: 42,
      response_format: { type: "json_object" },
      reasoning_effort: "high",
    });
    expect(gw.fake.requests[0]!.body).toMatchObject({
      reasoning_effort: "high",
      temperature: 0.5,
      top_p: 0.9,
      stop: ["END"],
      max_tokens: 64,
      seed: 42,
      response_format: { type: "json_object" },
    });
  });
});

describe("images", () => {
  it("passes a data-URL image part on to the vendor in its format", async () => {
    await using gw = await openaiGateway([step.reply("a pixel")]);
    const url = `data:image/png;base64,${PNG}`;
    await gw.client.chat.completions.create({
      model: "keel",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url } },
          ],
        },
      ],
    });
    expect(gw.fake.requests[0]!.body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url } },
        ],
      },
    ]);
  });

  it("types a data-URL image by its bytes, and refuses one that is not an image or not base64", async () => {
    await using gw = await openaiGateway([step.reply("ok")]);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1]).toString("base64");
    const ask = (url: string) => ({
      model: "keel",
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }],
    });
    expect((await post(gw.base, "/chat/completions", ask(`data:image/png;base64,${jpeg}`))).status).toBe(200);
    expect(gw.fake.requests[0]!.body.messages[0].content[0].image_url.url).toBe(
      `data:image/jpeg;base64,${jpeg}`,
    );
    const refused: [string, RegExp][] = [
      [
        `data:image/png;base64,${Buffer.from("plain text").toString("base64")}`,
        /is not a PNG, JPEG, GIF or WebP image \(declared image\/png\)/,
      ],
      ["data:image/png;base64,QR==", /is not valid base64/],
    ];
    for (const [url, message] of refused) {
      const res = await post(gw.base, "/chat/completions", ask(url));
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as any;
      expect(error).toMatchObject({ code: "invalid_image", param: "messages[0].content[0].image_url.url" });
      expect(error.message).toMatch(message);
    }
    expect(gw.fake.requests).toHaveLength(1);
  });

  it("refuses remote image URLs unless gateway.http.images.allowRemoteUrls", async () => {
    await using gw = await openaiGateway([step.reply("ok")]);
    const body = {
      model: "keel",
      messages: [
        { role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] },
      ],
    };
    const res = await post(gw.base, "/chat/completions", body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({
      code: "remote_image_urls_disabled",
      param: "messages[0].content[0].image_url.url",
    });
    expect(gw.fake.requests).toHaveLength(0);
  });
});

describe("sessions", () => {
  it("a user field keeps one session: only messages not yet in it are appended", async () => {
    await using gw = await openaiGateway([step.reply("first answer"), step.reply("second answer")]);
    const one = await gw.client.chat.completions.create({
      model: "keel",
      user: "alice",
      messages: [{ role: "user", content: "q1" }],
    });
    const a1 = one.choices[0]!.message.content!;
    await gw.client.chat.completions.create({
      model: "keel",
      user: "alice",
      messages: [
        { role: "user", content: "q1" },
        { role: "assistant", content: a1 },
        { role: "user", content: "q2" },
      ],
    });
    expect(gw.fake.requests[1]!.body.messages).toEqual([
      { role: "user", content: "q1" },
      { role: "assistant", content: "first answer" },
      { role: "user", content: "q2" },
    ]);
    const store = gw.handle.context.store;
    const entry = await store.get("agent:main:openai-user:alice");
    expect(await store.countMessages(entry!.sessionId)).toBe(4);
  });

  it("a retry of a failed request does not append the conversation a second time", async () => {
    await using gw = await openaiGateway([
      step.reply("A1"),
      step.status(400, { error: { message: "bad", type: "invalid_request_error" } }),
      step.reply("A2"),
    ]);
    const user = "carol";
    await gw.client.chat.completions.create({
      model: "keel",
      user,
      messages: [{ role: "user", content: "q1" }],
    });
    const convo = [
      { role: "user" as const, content: "q1" },
      { role: "assistant" as const, content: "A1" },
      { role: "user" as const, content: "q2" },
    ];
    await expect(
      gw.client.chat.completions.create({ model: "keel", user, messages: convo }),
    ).rejects.toThrow();
    await gw.client.chat.completions.create({ model: "keel", user, messages: convo });
    const contents = gw.fake.requests[2]!.body.messages.map((m: { content: string }) => m.content);
    // q1 and A1 once each; the retried question is in the transcript from the failed attempt too.
    expect(contents).toEqual(["q1", "A1", "q2", "q2"]);
  });

  it("a session header carries history the client does not resend; without one each request stands alone", async () => {
    await using gw = await openaiGateway([step.reply("A1"), step.reply("A2"), step.reply("A3")]);
    const headers = { "x-keel-session-key": "my-chat" };
    await gw.client.chat.completions.create(
      { model: "keel", messages: [{ role: "user", content: "q1" }] },
      { headers },
    );
    await gw.client.chat.completions.create(
      { model: "keel", messages: [{ role: "user", content: "q2" }] },
      { headers },
    );
    expect(gw.fake.requests[1]!.body.messages).toEqual([
      { role: "user", content: "q1" },
      { role: "assistant", content: "A1" },
      { role: "user", content: "q2" },
    ]);
    const three = await gw.client.chat.completions
      .create({ model: "keel", messages: [{ role: "user", content: "q3" }] })
      .withResponse();
    expect(gw.fake.requests[2]!.body.messages).toEqual([{ role: "user", content: "q3" }]);
    // A one-off request is stateless: its session is never stored; a named one stays.
    const store = gw.handle.context.store;
    const oneOff = three.response.headers.get("x-keel-session-key")!;
    expect(oneOff).toMatch(/^agent:main:openai:/);
    expect(await store.get(oneOff)).toBeUndefined();
    expect(await store.get("agent:main:my-chat")).toBeDefined();
    // Its usage is kept all the same (usage.cost counts API traffic), summed with other one-off
    // runs' rather than under a key nobody will name again.
    const today = new Date().toISOString().slice(0, 10);
    await eventually(() =>
      expect(
        store.usage!.summarize({ from: today, to: today, sessionKey: ONE_OFF_SESSION }).map((g) => g.runs),
      ).toEqual([1]),
    );
    expect(store.usage!.summarize({ from: today, to: today, sessionKey: oneOff })).toEqual([]);
  });

  it("a user with characters a header cannot carry still gets its reply (the header is percent-encoded)", async () => {
    await using gw = await openaiGateway([step.reply("hej")]);
    const { data, response } = await gw.client.chat.completions
      .create({ model: "keel", user: "zoë ✓", messages: [{ role: "user", content: "x" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("hej");
    expect(decodeURIComponent(response.headers.get("x-keel-session-key")!)).toBe(
      "agent:main:openai-user:zoë ✓",
    );
  });

  it("a one-off request is stateless: its conversation goes to the model and nothing to the store but usage", async () => {
    await using gw = await openaiGateway([{ type: "hang-before-headers" }]);
    const controller = new AbortController();
    const messages = [
      { role: "user", content: "q1" },
      { role: "assistant", content: "a1" },
      { role: "user", content: "q2" },
    ];
    const pending = post(gw.base, "/chat/completions", { model: "keel", messages }, {}, controller.signal);
    await eventually(() => expect(gw.fake.requests).toHaveLength(1));
    expect(gw.fake.requests[0]!.body.messages).toEqual(messages);
    const store = gw.handle.context.store;
    expect((await store.list({ limit: 10, search: "openai:" })).rows).toEqual([]);
    controller.abort();
    await pending.catch(() => undefined);
    expect((await store.list({ limit: 10, search: "openai:" })).rows).toEqual([]);
    expect(await store.runMarkers.unfinished()).toEqual([]);
  });

  it("a reserved session key prefix is a 400", async () => {
    await using gw = await openaiGateway();
    const res = await post(
      gw.base,
      "/chat/completions",
      { model: "keel", messages: [{ role: "user", content: "x" }] },
      { "x-keel-session-key": "cron:nightly" },
    );
    expect(res.status).toBe(400);
    expect(gw.fake.requests).toHaveLength(0);
  });
});
