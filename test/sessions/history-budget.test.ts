// chat.history stays under session.historyMaxBytes: older messages move to the next page.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { chatHistory } from "../../src/methods/sessions.js";
import { openSqliteStore } from "../../src/sessions/sqlite.js";

const caller = {
  connId: "c",
  role: "operator",
  scopes: ["operator.read"],
  clientId: "test",
  clientMode: "test",
  signal: new AbortController().signal,
};

describe("chat.history byte budget", () => {
  it("returns the newest messages that fit, pages the rest, and replaces a message bigger than the budget", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-history-"));
    const config = loadConfig({ path: "/x", env: {}, raw: { session: { historyMaxBytes: 65_536 } } }).config;
    const store = await openSqliteStore({ stateDir: dir, config });
    try {
      const { entry } = await store.ensure("main", "agent:main:main");
      for (let i = 0; i < 10; i++) {
        await store.appendMessage({
          sessionKey: entry.key,
          sessionId: entry.sessionId,
          role: i % 2 ? "assistant" : "user",
          content: `${i}:${"x".repeat(20_000)}`,
        });
      }
      const ctx = { store, config };
      const first = (await chatHistory.handler(ctx, { sessionKey: "main", limit: 10 }, caller)) as {
        messages: { content: unknown }[];
        hasMore: boolean;
        nextOffset: number;
      };
      expect(first.messages).toHaveLength(3);
      expect(JSON.stringify(first.messages).length).toBeLessThanOrEqual(65_536);
      expect(JSON.stringify(first.messages[2]!.content)).toContain("9:");
      expect(first.hasMore).toBe(true);
      expect(first.nextOffset).toBe(3);
      const second = (await chatHistory.handler(
        ctx,
        { sessionKey: "main", limit: 10, offset: 3 },
        caller,
      )) as {
        messages: { content: unknown }[];
      };
      expect(JSON.stringify(second.messages.at(-1)!.content)).toContain("6:");

      await store.appendMessage({
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        role: "user",
        content: "y".repeat(100_000),
      });
      const big = (await chatHistory.handler(ctx, { sessionKey: "main", limit: 1 }, caller)) as {
        messages: { content: string; omitted?: boolean }[];
      };
      expect(big.messages).toHaveLength(1);
      expect(big.messages[0]).toMatchObject({ omitted: true });
      expect(big.messages[0]!.content).toMatch(/message of \d+ bytes omitted/);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
