// Rich message parts survive the store (a reopen included) and reach chat.history in the
// reference's part names; plain-text rows keep their old shape.
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/sessions/sqlite.js";
import { toWireMessage } from "../../src/sessions/wire.js";
import { tempSqliteStore } from "./helpers.js";

describe("rich message parts", () => {
  it("stores thinking, text, tool calls, images and tool results, and maps them for chat.history", async () => {
    const t = await tempSqliteStore();
    const { entry } = await t.store.ensure("main", "agent:main:main");
    const at = { sessionKey: entry.key, sessionId: entry.sessionId };
    await t.store.appendMessage({
      ...at,
      role: "user",
      content: "what is in this picture?",
      parts: [
        { type: "text", text: "what is in this picture?" },
        { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBORw0KGgo=" } },
      ],
    });
    await t.store.appendMessage({
      ...at,
      role: "assistant",
      content: "Let me look it up.",
      parts: [
        { type: "thinking", text: "a small png" },
        { type: "text", text: "Let me look it up." },
        { type: "tool_call", id: "call_1", name: "lookup", arguments: '{"q":"png"}' },
      ],
    });
    await t.store.appendMessage({
      ...at,
      role: "user",
      content: "found",
      parts: [{ type: "tool_result", callId: "call_1", content: "found", isError: false }],
    });
    await t.store.appendMessage({ ...at, role: "assistant", content: "plain" });
    await t.store.close();

    // A reopened store reads what the first one wrote.
    const reopened = await openSqliteStore({ stateDir: t.dir, config: t.config });
    const page = await reopened.readHistory(entry.sessionId, { limit: 10 });
    const wire = page.messages.map((m) => toWireMessage(m));
    expect(wire[0]?.content).toEqual([
      { type: "text", text: "what is in this picture?" },
      { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" },
    ]);
    expect(wire[1]?.content).toEqual([
      { type: "thinking", thinking: "a small png" },
      { type: "text", text: "Let me look it up." },
      { type: "toolCall", id: "call_1", name: "lookup", arguments: { q: "png" } },
    ]);
    expect(wire[2]).toMatchObject({
      role: "toolResult",
      toolCallId: "call_1",
      isError: false,
      content: [{ type: "text", text: "found" }],
    });
    expect(wire[3]?.content).toEqual([{ type: "text", text: "plain" }]);
    expect(page.messages[3]?.parts).toBeUndefined();
    await reopened.close();
    await t.dispose();
  });
});
