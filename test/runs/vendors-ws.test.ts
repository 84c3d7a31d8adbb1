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
});
