// Reasoning and tool calls through a real gateway: thinking streams as its own agent stream and is
// stored apart from the reply; a tool call ends the turn with tool_calls and is in chat.history;
// the thinking level becomes the vendor's reasoning effort; the next turn replays both.
import { describe, expect, it } from "vitest";
import { type Frame, openClient } from "../helpers/ws.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";

const isChat = (runId: string, state: string) => (f: Frame) =>
  f.type === "event" && f.event === "chat" && f.payload.runId === runId && f.payload.state === state;

describe("a turn with reasoning and a tool call", () => {
  it("streams thinking apart, stores both, replays them, and maps the thinking level", async () => {
    await using env = await gatewayWithFakeVendor([
      { type: "thinking", thinking: ["The user ", "wants weather."], text: "Let me check." },
      {
        type: "tool-call",
        calls: [{ id: "call_7", name: "get_weather", argumentChunks: ['{"ci', 'ty":"Paris"}'] }],
      },
      { type: "reply", text: "done" },
    ]);
    await using s = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    await s.request("chat.send", {
      sessionKey: "main",
      message: "weather?",
      idempotencyKey: "rt-1",
      thinking: "high",
    });
    const final1 = await s.next(isChat("rt-1", "final"));
    expect(final1.payload.message.content[0].text).toBe("Let me check.");
    const first = env.fake.requests[0]!.body;
    expect(first.reasoning_effort).toBe("high");

    await s.request("chat.send", { sessionKey: "main", message: "go on", idempotencyKey: "rt-2" });
    const final2 = await s.next(isChat("rt-2", "final"));
    expect(final2.payload.stopReason).toBe("tool_calls");

    const history = await s.request("chat.history", { sessionKey: "main" });
    const [, reply1, , reply2] = history.payload.messages;
    expect(reply1.content).toEqual([
      { type: "thinking", thinking: "The user wants weather." },
      { type: "text", text: "Let me check." },
    ]);
    expect(reply2.content).toEqual([
      { type: "toolCall", id: "call_7", name: "get_weather", arguments: { city: "Paris" } },
    ]);

    // The third turn's prompt carries the earlier reply and the tool call in the vendor's shape.
    await s.request("chat.send", { sessionKey: "main", message: "thanks", idempotencyKey: "rt-3" });
    await s.next(isChat("rt-3", "final"));
    const third = env.fake.requests[2]!.body.messages;
    const assistantCall = third.find((m: { tool_calls?: unknown }) => m.tool_calls !== undefined);
    expect(assistantCall.tool_calls).toEqual([
      { id: "call_7", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
    ]);
    // Thinking is never sent back as reply text.
    expect(JSON.stringify(third)).not.toContain("The user wants weather.");
  });

  it("reasoning text reaches operators on the agent `thinking` stream, never in chat deltas", async () => {
    await using env = await gatewayWithFakeVendor([
      { type: "thinking", thinking: ["hmm ", "ok"], text: "Answer." },
    ]);
    await using s = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    await s.request("chat.send", { sessionKey: "main", message: "q", idempotencyKey: "th-1" });
    const thinking = await s.next(
      (f) => f.event === "agent" && f.payload.runId === "th-1" && f.payload.stream === "thinking",
    );
    expect(thinking.payload.data.delta).toBe("hmm ");
    const final = await s.next(isChat("th-1", "final"));
    expect(final.payload.message.content).toEqual([{ type: "text", text: "Answer." }]);
  });

  it("thinking shares the delta throttle: many small pieces reach operators as few events, in order", async () => {
    const pieces = Array.from({ length: 30 }, (_, i) => `t${i} `);
    await using env = await gatewayWithFakeVendor([{ type: "thinking", thinking: pieces, text: "Done." }], {
      config: { runs: { deltaThrottleMs: 10_000 } },
    });
    await using s = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    await s.request("chat.send", { sessionKey: "main", message: "q", idempotencyKey: "th-many" });
    await s.next(isChat("th-many", "final"));
    const frames = s.frames.filter((f: Frame) => f.type === "event" && f.payload?.runId === "th-many");
    const thinking = frames.filter((f: Frame) => f.event === "agent" && f.payload.stream === "thinking");
    // The first piece at once; the rest, inside the throttle window, merged into one event that
    // goes out when the turn ends, before the reply text.
    expect(thinking.map((f: Frame) => f.payload.data.delta)).toEqual([pieces[0], pieces.slice(1).join("")]);
    const order = frames.map((f: Frame) => (f.event === "agent" ? f.payload.stream : f.payload.state));
    expect(order.indexOf("delta")).toBeGreaterThan(order.lastIndexOf("thinking"));
  });

  it("interleaved reasoning and text keep their order through the throttle", async () => {
    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const body = [
      chunk({ role: "assistant", reasoning_content: "a" }),
      chunk({ content: "X" }),
      chunk({ reasoning_content: "b" }),
      chunk({ content: "Y" }),
      chunk({}, "stop"),
      "data: [DONE]\n\n",
    ].join("");
    await using env = await gatewayWithFakeVendor([{ type: "raw", body }], {
      config: { runs: { deltaThrottleMs: 10_000 } },
    });
    await using s = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    await s.request("chat.send", { sessionKey: "main", message: "q", idempotencyKey: "th-mix" });
    await s.next(isChat("th-mix", "final"));
    const streamed = s.frames
      .filter((f: Frame) => f.event === "agent" && f.payload?.runId === "th-mix")
      .filter((f: Frame) => f.payload.stream === "thinking" || f.payload.stream === "assistant")
      .map((f: Frame) => `${f.payload.stream}:${f.payload.data.delta}`);
    expect(streamed).toEqual(["thinking:a", "assistant:X", "thinking:b", "assistant:Y"]);
  });
});
