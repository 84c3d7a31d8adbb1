// Fitting system prompt + history + new message into a context window.
import { describe, expect, it } from "vitest";
import {
  estimateMessageTokens,
  estimateTokens,
  fitContext,
  MESSAGE_OVERHEAD_TOKENS,
  replyReserve,
} from "../../src/models/context.js";
import { type ChatMessage, ModelError } from "../../src/models/types.js";

const user = (content: string): ChatMessage => ({ role: "user", content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });
/** A message of exactly `tokens` estimated tokens (framing included). */
const sized = (
  tokens: number,
  role: "user" | "assistant" = "user",
  tag = "",
): { role: "user" | "assistant"; content: string } => {
  const body = "x".repeat((tokens - MESSAGE_OVERHEAD_TOKENS) * 4 - tag.length);
  return { role, content: tag + body };
};

describe("token estimate", () => {
  it("counts ~4 ASCII characters per token and errs high on non-ASCII", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcd")).toBe(1);
    expect(estimateTokens("abcde")).toBe(2);
    expect(estimateTokens("日本語のテキスト")).toBe(8);
    expect(estimateMessageTokens(user("abcd"))).toBe(1 + MESSAGE_OVERHEAD_TOKENS);
    expect(estimateMessageTokens(sized(100))).toBe(100);
  });

  it("reserves maxTokens, else min(4096, window/4), never more than half the window", () => {
    expect(replyReserve(128_000)).toBe(4096);
    expect(replyReserve(8_000)).toBe(2_000);
    expect(replyReserve(128_000, 1_000)).toBe(1_000);
    expect(replyReserve(8_000, 8_000)).toBe(4_000);
  });
});

describe("fitContext", () => {
  const base = { provider: "acme", model: "m1", contextWindow: 1_000, maxTokens: 200 }; // budget 800

  it("sends everything, in order, when it fits", () => {
    const history = [user("hi"), assistant("hello"), user("how are you?"), assistant("fine")];
    const fit = fitContext({ ...base, systemPrompt: "be kind", history, message: user("bye") });
    expect(fit.messages).toEqual([{ role: "system", content: "be kind" }, ...history, user("bye")]);
    expect(fit.omitted).toBe(0);
    expect(fit.promptTokens).toBe(fit.messages.reduce((n, m) => n + estimateMessageTokens(m), 0));
    expect(fit.replyTokens).toBe(200);
  });

  it("leaves out the oldest history first and keeps the rest contiguous", () => {
    // System 100 + message 100 leave 600 of the 800 budget: the two newest 250-token messages fit.
    const history = [
      sized(250, "user", "h0"),
      sized(250, "assistant", "h1"),
      sized(250, "user", "h2"),
      sized(250, "assistant", "h3"),
    ];
    const fit = fitContext({
      ...base,
      systemPrompt: sized(100).content.slice(0, 96 * 4),
      history,
      message: sized(100),
    });
    expect(fit.omitted).toBe(2);
    expect(fit.messages.slice(1, -1).map((m) => m.content.slice(0, 2))).toEqual(["h2", "h3"]);
    expect(fit.promptTokens).toBeLessThanOrEqual(800);
  });

  it("a long session keeps working: 10,000 history messages fit into the window", () => {
    const history = Array.from({ length: 10_000 }, (_, i) =>
      (i % 2 ? assistant : user)(`message number ${i}`),
    );
    const fit = fitContext({ ...base, contextWindow: 4_096, history, message: user("next") });
    expect(fit.omitted).toBeGreaterThan(9_000);
    expect(fit.messages.at(-2)).toEqual(history.at(-1));
    expect(fit.promptTokens + replyReserve(4_096, 200)).toBeLessThanOrEqual(4_096);
  });

  it("stops at the first history message that does not fit, even if an older small one would", () => {
    const history = [user("tiny"), sized(796, "assistant", "big")]; // 5 + 796 > 800
    const fit = fitContext({ ...base, history, message: user("q") });
    expect(fit.messages).toEqual([user("q")]);
    expect(fit.omitted).toBe(2);
  });

  it("a new message that alone does not fit fails with context_length naming both sizes", () => {
    const message = sized(900);
    let err: unknown;
    try {
      fitContext({ ...base, history: [user("old")], message });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelError);
    const me = err as ModelError;
    expect(me.kind).toBe("context_length");
    expect(me.message).toContain("~900 tokens");
    expect(me.message).toContain("room for 800");
    expect(me.message).toContain("context window 1000");
    expect(me.provider).toBe("acme");
  });

  it("counts the system prompt against the new message", () => {
    expect(() =>
      fitContext({ ...base, systemPrompt: sized(500).content, history: [], message: sized(400) }),
    ).toThrow(/with the system prompt.*room for 800/);
  });

  it("without maxTokens the reply gets everything left of the window", () => {
    const fit = fitContext({
      provider: "p",
      model: "m",
      contextWindow: 8_000,
      history: [],
      message: sized(100),
    });
    expect(fit.replyTokens).toBe(7_900);
  });
});
