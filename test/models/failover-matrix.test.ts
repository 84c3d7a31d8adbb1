// Every scripted vendor fault through the failover chain with cooldowns: which candidate answered,
// the attempt's recorded time, what cooled, whether the next turn asks the failed one again.
import { beforeEach, describe, expect, it } from "vitest";
import { Cooldowns } from "../../src/models/cooldowns.js";
import { FailoverProvider } from "../../src/models/failover.js";
import type { ModelError, ModelErrorKind, StreamEvent } from "../../src/models/types.js";
import { type FakeOpenAI, type FakeStep, step } from "../fixtures/fake-openai.js";
import { candidate, twoVendors } from "./chain.js";

const vendors = twoVendors();
let first: FakeOpenAI;
let second: FakeOpenAI;
beforeEach(() => {
  ({ first, second } = vendors);
  second.setScript(() => step.reply("from b"));
});

/** Short watchdogs so the hang and stall rows fail in a fraction of a second. */
const WATCHDOGS = { idleSeconds: 0.3, connectTimeoutMs: 300 };

async function turn(chain: FailoverProvider) {
  const events: StreamEvent[] = [];
  try {
    const messages = [{ role: "user" as const, content: "hello" }];
    for await (const ev of chain.stream({ model: "", messages, signal: new AbortController().signal })) {
      events.push(ev);
    }
    return { events, error: undefined };
  } catch (error) {
    return { events, error: error as ModelError };
  }
}
const used = (events: StreamEvent[]) => events.flatMap((e) => (e.type === "attempt" ? [e.ref] : []));
const text = (events: StreamEvent[]) => events.map((e) => (e.type === "text" ? e.delta : "")).join("");

type Row = [name: string, fault: FakeStep, kind: ModelErrorKind, cooled: string | undefined, path?: string];
const ROWS: Row[] = [
  ["connection reset", { type: "reset" }, "network", "endpoint"],
  ["hang before headers", { type: "hang-before-headers" }, "timeout", "credential_model"],
  ["stall after headers", { type: "hang-after-headers" }, "timeout", "credential_model"],
  [
    "429 Retry-After",
    step.status(429, { error: { message: "slow" } }, { "retry-after": "30" }),
    "rate_limit",
    "credential_model",
  ],
  ["401", step.status(401, { error: { message: "bad key", type: "invalid_api_key" } }), "auth", "credential"],
  ["402", step.status(402, { error: { message: "pay up" } }), "billing", "credential"],
  ["403", step.status(403, "Forbidden"), "auth", "credential"],
  ["404 naming the model", { type: "model-not-found" }, "model_not_found", undefined],
  ["404 on a wrong path", step.reply("never"), "endpoint_not_found", undefined, "/wrong"],
  ["500", step.status(500, { error: { message: "boom" } }), "server_error", undefined],
  [
    "503 overloaded",
    step.status(503, { error: { message: "overloaded" } }),
    "overloaded",
    "credential_model",
  ],
  [
    "529",
    step.status(529, { error: { type: "overloaded_error", message: "Overloaded" } }),
    "overloaded",
    "credential_model",
  ],
  ["malformed SSE", { type: "malformed" }, "server_error", undefined],
];

describe("the failover fault matrix", () => {
  for (const [name, fault, kind, cooled, path = ""] of ROWS) {
    it(`${name}: ${kind}, the next candidate answers, ${cooled ?? "nothing"} cools`, async () => {
      const cd = new Cooldowns();
      first.setScript(() => fault);
      const a = candidate("a", first.url + path, WATCHDOGS);
      const b = candidate("b", second.url, WATCHDOGS);
      const chain = () => new FailoverProvider([a, b], { deadlineMs: 10_000, cooldowns: cd });

      const r1 = await turn(chain());
      expect(r1.error).toBeUndefined();
      expect(used(r1.events)).toEqual(["a/m", "b/m"]);
      expect(text(r1.events)).toBe("from b");
      expect(cd.entries().map((e) => e.scope)).toEqual(cooled ? [cooled] : []);
      expect(cd.lastError("a", "m")?.kind).toBe(kind);
      if (kind === "endpoint_not_found") expect(cd.lastError("a", "m")?.url).toContain("/wrong/");

      // A cooled key gets no request on the next turn; one that cools nothing is asked again.
      const before = first.requests.length;
      const r2 = await turn(chain());
      expect(r2.error).toBeUndefined();
      expect(used(r2.events)).toEqual(cooled ? ["b/m"] : ["a/m", "b/m"]);
      if (cooled) expect(first.requests.length).toBe(before);
    });
  }

  it("cut mid-stream after text: the turn ends with the error and the partial text, no other model", async () => {
    const cd = new Cooldowns();
    first.setScript(() => ({ type: "cut", chunks: ["partial ", "text"] }));
    const chain = new FailoverProvider(
      [candidate("a", first.url, WATCHDOGS), candidate("b", second.url, WATCHDOGS)],
      {
        deadlineMs: 10_000,
        cooldowns: cd,
      },
    );
    const r = await turn(chain);
    expect(text(r.events)).toBe("partial text");
    expect(r.error?.kind).toBe("network");
    expect(r.error?.attempts?.map((x) => [x.ref, x.kind, typeof x.ms])).toEqual([
      ["a/m", "network", "number"],
    ]);
    expect(second.requests).toHaveLength(0);
  });
});
