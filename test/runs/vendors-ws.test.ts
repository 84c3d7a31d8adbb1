// A chat turn through a real gateway on each wire format: an anthropic-messages primary whose
// 529 fails over to an openai-responses fallback, and the reply streamed from the fallback.
import { describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../fixtures/fake-anthropic.js";
import { startFakeOpenAIResponses } from "../fixtures/fake-openai-responses.js";
import { startGateway } from "../helpers/gateway.js";
import { openClient } from "../helpers/ws.js";

describe("turns on the Anthropic and Responses wire formats", () => {
  it("streams from Anthropic, then fails over from an overloaded Anthropic to Responses", async () => {
    await using anthropic = await startFakeAnthropic({
      apiKey: "sk-ant",
      script: [
        { type: "reply", text: "Hello from Claude.", chunks: ["Hello ", "from Claude."] },
        { type: "status", status: 529, body: { error: { message: "Overloaded", type: "overloaded_error" } } },
      ],
    });
    await using responses = await startFakeOpenAIResponses({
      apiKey: "sk-oai",
      script: [{ type: "reply", text: "Hello from Responses." }],
    });
    await using gw = await startGateway({
      config: {
        models: {
          providers: {
            claude: {
              api: "anthropic-messages",
              baseUrl: anthropic.url,
              apiKey: "sk-ant",
              models: [{ id: "claude-x", maxTokens: 256 }],
            },
            oai: {
              api: "openai-responses",
              baseUrl: responses.url,
              apiKey: "sk-oai",
              models: [{ id: "gpt-x" }],
            },
          },
        },
        agents: { defaults: { model: { primary: "claude/claude-x", fallbacks: ["oai/gpt-x"] } } },
        runs: { deltaThrottleMs: 0 },
      },
    });
    await using s = await openClient(gw.url, { scopes: ["operator.read", "operator.write"] });
    const final = (runId: string) =>
      s.next(
        (f) =>
          f.event === "chat" && f.payload.runId === runId && ["final", "error"].includes(f.payload.state),
      );

    await s.request("chat.send", { sessionKey: "main", message: "hi", idempotencyKey: "v-1" });
    expect((await final("v-1")).payload).toMatchObject({
      state: "final",
      message: { content: [{ type: "text", text: "Hello from Claude." }] },
    });
    expect(anthropic.requests[0]?.body).toMatchObject({ model: "claude-x", max_tokens: 256, stream: true });

    await s.request("chat.send", { sessionKey: "main", message: "again", idempotencyKey: "v-2" });
    expect((await final("v-2")).payload).toMatchObject({
      state: "final",
      message: { content: [{ type: "text", text: "Hello from Responses." }] },
    });
    // The fallback got the whole conversation, the first reply included.
    const input = JSON.stringify(responses.requests[0]?.body.input);
    expect(input).toContain("Hello from Claude.");
  });

  it("keeps an Anthropic thinking block's signature with the reply and sends the block back sealed", async () => {
    await using anthropic = await startFakeAnthropic({
      script: [
        { type: "thinking", thinking: ["Weighing ", "it."], text: "Yes." },
        { type: "reply", text: "Still yes." },
      ],
    });
    await using turns = await twoThinkingTurns(anthropic.url, "sig");
    const { s } = turns;
    const assistant = anthropic.requests[1]!.body.messages[1];
    expect(assistant).toEqual({
      role: "assistant",
      content: [
        { type: "thinking", thinking: "Weighing it.", signature: "EqQBCgIYAhIMfake" },
        { type: "text", text: "Yes." },
      ],
    });
    // chat.history shows the reasoning, not the seal.
    const history = await s.request("chat.history", { sessionKey: "main" });
    expect(history.payload.messages[1].content[0]).toEqual({ type: "thinking", thinking: "Weighing it." });
  });

  it("two reasoning blocks in one reply are kept unsealed: no one signature covers them joined", async () => {
    const ev = (type: string, data: object) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const block = (index: number, thinking: string, signature: string) =>
      ev("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } }) +
      ev("content_block_delta", { index, delta: { type: "thinking_delta", thinking } }) +
      ev("content_block_delta", { index, delta: { type: "signature_delta", signature } }) +
      ev("content_block_stop", { index });
    const body =
      ev("message_start", {
        message: {
          id: "m",
          type: "message",
          role: "assistant",
          content: [],
          usage: { input_tokens: 1, output_tokens: 0 },
        },
      }) +
      block(0, "first", "sig-a") +
      block(1, "second", "sig-b") +
      ev("content_block_start", { index: 2, content_block: { type: "text", text: "" } }) +
      ev("content_block_delta", { index: 2, delta: { type: "text_delta", text: "Done." } }) +
      ev("content_block_stop", { index: 2 }) +
      ev("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 3 } }) +
      ev("message_stop", {});
    await using anthropic = await startFakeAnthropic({
      script: [
        { type: "raw", body },
        { type: "reply", text: "ok" },
      ],
    });
    await using turns = await twoThinkingTurns(anthropic.url, "two");
    const { s } = turns;
    const second = anthropic.requests[1]!.body;
    expect(second.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(second.messages[1]).toEqual({ role: "assistant", content: "Done." });
    const history = await s.request("chat.history", { sessionKey: "main" });
    expect(history.payload.messages[1].content[0]).toEqual({ type: "thinking", thinking: "firstsecond" });
  });
});

/**
 * A gateway on the fake Anthropic vendor at `url` (model claude/claude-x), and two turns in
 * session main asking for low reasoning (`<prefix>-1`, `<prefix>-2`), each awaited to its end.
 */
async function twoThinkingTurns(url: string, prefix: string) {
  const gw = await startGateway({
    config: {
      models: {
        providers: { claude: { api: "anthropic-messages", baseUrl: url, models: [{ id: "claude-x" }] } },
      },
      agents: { defaults: { model: "claude/claude-x" } },
    },
  });
  const s = await openClient(gw.url, { scopes: ["operator.read", "operator.write"] });
  for (const n of [1, 2]) {
    const runId = `${prefix}-${n}`;
    await s.request("chat.send", {
      sessionKey: "main",
      message: `q${n}`,
      idempotencyKey: runId,
      thinking: "low",
    });
    await s.next((f) => f.event === "chat" && f.payload.runId === runId && f.payload.state === "final");
  }
  return {
    s,
    async [Symbol.asyncDispose]() {
      await s[Symbol.asyncDispose]();
      await gw[Symbol.asyncDispose]();
    },
  };
}
