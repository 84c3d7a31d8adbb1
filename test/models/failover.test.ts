// The failover decorator over real adapters and two fake vendors: what each kind does, read from
// the policy table; no failover once text streamed; the deadline; the caller's abort.
import { beforeEach, describe, expect, it } from "vitest";
import { FailoverProvider } from "../../src/models/failover.js";
import { KIND_POLICY, type ModelError, type StreamEvent } from "../../src/models/types.js";
import { type FakeOpenAI, step } from "../fixtures/fake-openai.js";
import { candidate, twoVendors } from "./chain.js";
import { eventually } from "../helpers/eventually.js";

const vendors = twoVendors();
let first: FakeOpenAI;
let second: FakeOpenAI;
beforeEach(() => ({ first, second } = vendors));

async function run(chain: FailoverProvider, signal = new AbortController().signal) {
  const events: StreamEvent[] = [];
  try {
    const messages = [
      { role: "system" as const, content: "be brief" },
      { role: "user" as const, content: "hello" },
    ];
    for await (const ev of chain.stream({ model: "", messages, signal })) events.push(ev);
    return { events, text: textOf(events), error: undefined };
  } catch (error) {
    return { events, text: textOf(events), error: error as ModelError };
  }
}

const textOf = (events: StreamEvent[]) => events.map((e) => (e.type === "text" ? e.delta : "")).join("");
const attempts = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === "attempt" ? [`${e.ref} ${e.credential}`] : []));

describe("FailoverProvider", () => {
  it("a 404 for the model moves to the next candidate at once and sends that candidate's credential", async () => {
    first.setScript([{ type: "model-not-found" }]);
    second.setScript([step.reply("from the second")]);
    const r = await run(
      new FailoverProvider([candidate("a", first.url), candidate("b", second.url)], { deadlineMs: 10_000 }),
    );
    expect(r.error).toBeUndefined();
    expect(r.text).toBe("from the second");
    expect(attempts(r.events)).toEqual(["a/m a:0", "b/m b:0"]);
    expect(second.requests[0]?.headers["authorization"]).toBe("Bearer sk-b");
  });

  it("a 429 moves on; when the last candidate fails too, the error carries every attempt", async () => {
    first.setScript([step.status(429, { error: { message: "slow down" } })]);
    second.setScript([step.status(500, { error: { message: "boom" } })]);
    const r = await run(
      new FailoverProvider([candidate("a", first.url), candidate("b", second.url)], { deadlineMs: 10_000 }),
    );
    expect(r.error?.kind).toBe("server_error");
    expect(r.error?.attempts?.map((a) => [a.ref, a.kind, a.status])).toEqual([
      ["a/m", "rate_limit", 429],
      ["b/m", "server_error", 500],
    ]);
    expect(r.error?.toDetails()["attempts"]).toHaveLength(2);
  });

  it("a request-shaped error (400) stops the turn: the next candidate is never called", async () => {
    first.setScript([step.status(400, { error: { message: "bad field", type: "invalid_request_error" } })]);
    const r = await run(
      new FailoverProvider([candidate("a", first.url), candidate("b", second.url)], { deadlineMs: 10_000 }),
    );
    expect(r.error?.kind).toBe("bad_request");
    expect(second.requests).toHaveLength(0);
  });

  it("a prompt too big for the candidate's window stops with context_length before any request", async () => {
    const chain = new FailoverProvider(
      [candidate("a", first.url, { contextWindow: 256 }), candidate("b", second.url)],
      {
        deadlineMs: 10_000,
      },
    );
    let error: ModelError | undefined;
    try {
      const messages = [{ role: "user" as const, content: "word ".repeat(2_000) }];
      for await (const _ of chain.stream({ model: "", messages, signal: new AbortController().signal })) {
        // nothing may stream
      }
    } catch (err) {
      error = err as ModelError;
    }
    expect(error?.kind).toBe("context_length");
    expect(error?.message).toContain("a/m");
    expect(first.requests).toHaveLength(0);
    expect(second.requests).toHaveLength(0);
  });

  it("once text streamed, a failure is final: the partial text stays and no other model is asked", async () => {
    first.setScript([{ type: "cut", chunks: ["partial ", "answer"] }]);
    const r = await run(
      new FailoverProvider([candidate("a", first.url), candidate("b", second.url)], { deadlineMs: 10_000 }),
    );
    expect(r.text).toBe("partial answer");
    expect(r.error).toBeDefined();
    expect(second.requests).toHaveLength(0);
  });

  it("the deadline bounds the time before the first token: a hanging candidate ends as timeout", async () => {
    first.setScript([{ type: "hang-before-headers" }]);
    const r = await run(
      new FailoverProvider([candidate("a", first.url), candidate("b", second.url)], { deadlineMs: 300 }),
    );
    expect(r.error?.kind).toBe("timeout");
    expect(r.error?.message).toContain("failover deadline");
    // The deadline is spent: the chain stops instead of starting another candidate.
    expect(second.requests).toHaveLength(0);
    expect(await first.requests[0]!.outcome).toBe("client-closed");
  });

  it("the caller's abort is thrown as is, never as a provider failure, and moves nothing on", async () => {
    first.setScript([{ type: "hang-before-headers" }]);
    const controller = new AbortController();
    const reason = new Error("user stop");
    const chain = new FailoverProvider([candidate("a", first.url), candidate("b", second.url)], {
      deadlineMs: 10_000,
    });
    const pending = run(chain, controller.signal);
    await eventually(() => first.requests.length > 0, { message: "the first vendor to get the request" });
    controller.abort(reason);
    expect((await pending).error).toBe(reason);
    expect(second.requests).toHaveLength(0);
  });

  it("reads the policy table: with rate_limit set to stop, a 429 ends the turn", async () => {
    first.setScript([step.status(429, { error: { message: "slow down" } })]);
    const policy = { ...KIND_POLICY, rate_limit: { ...KIND_POLICY.rate_limit, failover: "stop" as const } };
    const r = await run(
      new FailoverProvider([candidate("a", first.url), candidate("b", second.url)], {
        deadlineMs: 10_000,
        policy,
      }),
    );
    expect(r.error?.kind).toBe("rate_limit");
    expect(second.requests).toHaveLength(0);
  });

  it("reasoning that reached the caller makes a later failure final, as text does", async () => {
    const chunk = (delta: object) =>
      `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta }] })}\n\n`;
    // Thinking streams, then the body ends with neither finish_reason nor [DONE]: a cut.
    first.setScript([
      { type: "raw", body: chunk({ role: "assistant" }) + chunk({ reasoning_content: "thinking..." }) },
    ]);
    const r = await run(
      new FailoverProvider([candidate("a", first.url), candidate("b", second.url)], { deadlineMs: 10_000 }),
    );
    expect(r.events.some((e) => e.type === "thinking")).toBe(true);
    expect(r.error?.kind).toBe("network");
    expect(second.requests).toHaveLength(0);
  });

  it("a stream that opens and then stalls before any text moves to the next candidate", async () => {
    first.setScript([{ type: "hang-after-headers" }]);
    second.setScript([step.reply("from the second")]);
    const r = await run(
      new FailoverProvider([candidate("a", first.url, { idleSeconds: 0.3 }), candidate("b", second.url)], {
        deadlineMs: 10_000,
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.text).toBe("from the second");
    expect(r.events.filter((e) => e.type === "attempt").map((e) => (e as { ref: string }).ref)).toEqual([
      "a/m",
      "b/m",
    ]);
    expect(await first.requests[0]!.outcome).toBe("client-closed");
  });

  it("garbage in the stream before any text moves to the next candidate", async () => {
    first.setScript([{ type: "malformed" }]);
    second.setScript([step.reply("from the second")]);
    const r = await run(
      new FailoverProvider([candidate("a", first.url), candidate("b", second.url)], { deadlineMs: 10_000 }),
    );
    expect(r.error).toBeUndefined();
    expect(r.text).toBe("from the second");
    expect(first.requests).toHaveLength(1);
  });

  describe("contextFallbacks", () => {
    const long = [{ role: "user" as const, content: "word ".repeat(2_000) }];
    async function runLong(chain: FailoverProvider) {
      const events: StreamEvent[] = [];
      try {
        for await (const ev of chain.stream({
          model: "",
          messages: long,
          signal: new AbortController().signal,
        })) {
          events.push(ev);
        }
        return { text: textOf(events), refs: refsOf(events), error: undefined };
      } catch (error) {
        return { text: textOf(events), refs: refsOf(events), error: error as ModelError };
      }
    }
    const refsOf = (events: StreamEvent[]) => events.flatMap((e) => (e.type === "attempt" ? [e.ref] : []));

    it("a prompt too long for the chain goes to the larger model, skipping the rest of the chain", async () => {
      second.setScript([step.reply("the big model read it all")]);
      const small = { contextWindow: 256 };
      const chain = new FailoverProvider(
        [candidate("a", first.url, small), candidate("b", first.url, small)],
        {
          deadlineMs: 10_000,
          contextFallbacks: [candidate("big", second.url)],
        },
      );
      const r = await runLong(chain);
      expect(r.error).toBeUndefined();
      expect(r.text).toBe("the big model read it all");
      expect(r.refs).toEqual(["a/m", "big/m"]);
      expect(first.requests).toHaveLength(0);
    });

    it("a vendor's context-length error goes to the larger model too", async () => {
      first.setScript([
        step.status(400, {
          error: {
            message: "too many tokens",
            type: "invalid_request_error",
            code: "context_length_exceeded",
          },
        }),
      ]);
      second.setScript([step.reply("fits here")]);
      const chain = new FailoverProvider([candidate("a", first.url)], {
        deadlineMs: 10_000,
        contextFallbacks: [candidate("big", second.url)],
      });
      const r = await run(chain);
      expect(r.error).toBeUndefined();
      expect(r.text).toBe("fits here");
    });

    it("only context_length uses them: a 400 bad_request still stops the turn", async () => {
      first.setScript([step.status(400, { error: { message: "bad field", type: "invalid_request_error" } })]);
      const chain = new FailoverProvider([candidate("a", first.url)], {
        deadlineMs: 10_000,
        contextFallbacks: [candidate("big", second.url)],
      });
      const r = await run(chain);
      expect(r.error?.kind).toBe("bad_request");
      expect(second.requests).toHaveLength(0);
    });

    it("without them a prompt too long stops the turn with context_length", async () => {
      const chain = new FailoverProvider([candidate("a", first.url, { contextWindow: 256 })], {
        deadlineMs: 10_000,
      });
      const r = await runLong(chain);
      expect(r.error?.kind).toBe("context_length");
      expect(second.requests).toHaveLength(0);
    });
  });
});
