// Session credential pins: bounded with a TTL, and the failover layer sending a session's pinned credential
// until it fails (two keys against a fake vendor that accepts only one).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Candidate, FailoverProvider } from "../../src/models/failover.js";
import { OpenAICompletionsProvider } from "../../src/models/openai-completions.js";
import { ProviderTransport } from "../../src/models/transport.js";
import { CredentialPins } from "../../src/models/pins.js";
import type { StreamEvent } from "../../src/models/types.js";
import { type FakeOpenAI, startFakeOpenAI, step } from "../fixtures/fake-openai.js";

describe("CredentialPins", () => {
  it("keeps a pin per session and provider until its TTL, refreshed by each use", () => {
    let now = 1_000;
    const pins = new CredentialPins({ ttlMs: 100, max: 10, now: () => now });
    const a = pins.forSession("s1");
    a.set("openai", "openai:work");
    pins.set("s2", "openai", "openai:home");
    expect([a.get("openai"), a.get("other"), pins.get("s2", "openai")]).toEqual([
      "openai:work",
      undefined,
      "openai:home",
    ]);
    now += 60;
    a.set("openai", "openai:work");
    now += 60;
    // s1 was refreshed at +60 and lives to +160; s2 expired at +100.
    expect([a.get("openai"), pins.get("s2", "openai")]).toEqual(["openai:work", undefined]);
    expect(pins.size).toBe(1);
  });

  it("holds at most `max` pins: expired ones go first, then the least recently used", () => {
    let now = 0;
    const pins = new CredentialPins({ ttlMs: 1_000, max: 3, now: () => now });
    pins.set("old", "p", "p:1");
    now = 500;
    for (const s of ["a", "b"]) pins.set(s, "p", "p:1");
    now = 1_200; // "old" expired
    pins.set("c", "p", "p:1");
    expect([pins.size, pins.get("old", "p"), pins.get("a", "p")]).toEqual([3, undefined, "p:1"]);
    pins.set("d", "p", "p:1"); // all live: "a", the oldest write, goes (a read does not refresh)
    expect(pins.size).toBe(3);
    expect(pins.get("a", "p")).toBeUndefined();
    expect(["b", "c", "d"].map((s) => pins.get(s, "p"))).toEqual(["p:1", "p:1", "p:1"]);
  });
});

describe("FailoverProvider with a session's pins", () => {
  let fake: FakeOpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: "sk-good" });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.setScript([]);
  });

  const candidate = (keys: [string, string][]): Candidate => ({
    ref: "p/m",
    providerId: "p",
    modelId: "m",
    provider: new OpenAICompletionsProvider(
      "p",
      { baseUrl: fake.url },
      keys.map(([id, apiKey]) => ({ id, apiKey })),
      new ProviderTransport("p", { timeoutSeconds: 30, connectTimeoutMs: 5_000, maxConnections: 8 }),
    ),
    contextWindow: 128_000,
  });

  async function turn(c: Candidate, pins: CredentialPins, session: string) {
    const chain = new FailoverProvider([c], { deadlineMs: 10_000, pins: pins.forSession(session) });
    const events: StreamEvent[] = [];
    let error: unknown;
    try {
      const signal = new AbortController().signal;
      for await (const ev of chain.stream({
        model: "",
        messages: [{ role: "user", content: "hi" }],
        signal,
      })) {
        events.push(ev);
      }
    } catch (err) {
      error = err;
    }
    const used = events.flatMap((e) => (e.type === "attempt" ? [e.credential] : []));
    return { used, error: error as { kind?: string } | undefined };
  }

  it("a failing pinned key rotates to the next key in the same turn, which the session then keeps", async () => {
    const c = candidate([
      ["p:bad", "sk-bad"],
      ["p:good", "sk-good"],
    ]);
    const pins = new CredentialPins({ ttlMs: 60_000, max: 100 });
    const first = await turn(c, pins, "s1");
    expect([first.used, first.error]).toEqual([["p:bad", "p:good"], undefined]);
    expect(pins.get("s1", "p")).toBe("p:good");
    // Another session is not affected: it starts from the provider's first key.
    expect((await turn(c, pins, "s2")).used).toEqual(["p:bad", "p:good"]);
    for (let i = 0; i < 2; i++) {
      const next = await turn(c, pins, "s1");
      expect([next.used, next.error]).toEqual([["p:good"], undefined]);
    }
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual([
      "Bearer sk-bad",
      "Bearer sk-good",
      "Bearer sk-bad",
      "Bearer sk-good",
      "Bearer sk-good",
      "Bearer sk-good",
    ]);
  });

  it("a success pins the key it used; a pin the provider no longer lists falls back to the first", async () => {
    const c = candidate([
      ["p:good", "sk-good"],
      ["p:bad", "sk-bad"],
    ]);
    const pins = new CredentialPins({ ttlMs: 60_000, max: 100 });
    fake.setScript([step.reply("ok")]);
    expect((await turn(c, pins, "s")).used).toEqual(["p:good"]);
    expect(pins.get("s", "p")).toBe("p:good");
    pins.set("s", "p", "p:removed-by-reload");
    expect((await turn(c, pins, "s")).used).toEqual(["p:good"]);
  });

  it("a kind that does not rotate credentials (a bad request) leaves the pin alone", async () => {
    const c = candidate([
      ["p:good", "sk-good"],
      ["p:other", "sk-good"],
    ]);
    const pins = new CredentialPins({ ttlMs: 60_000, max: 100 });
    pins.set("s", "p", "p:good");
    fake.setScript([
      { type: "status", status: 400, body: { error: { message: "bad", type: "invalid_request_error" } } },
    ]);
    const r = await turn(c, pins, "s");
    expect(r.error?.kind).toBe("bad_request");
    expect(pins.get("s", "p")).toBe("p:good");
  });
});
