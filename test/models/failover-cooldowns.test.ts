// Failover with cooldowns against fake vendors: what each failure cools, that a cooled key gets no
// requests, credential rotation, the all-cooling fast failure and one half-open probe under load.
import { beforeEach, describe, expect, it } from "vitest";
import { Cooldowns, type CooldownSettings, DEFAULT_COOLDOWN_SETTINGS } from "../../src/models/cooldowns.js";
import { type Candidate, FailoverProvider } from "../../src/models/failover.js";
import type { ModelError, StreamEvent } from "../../src/models/types.js";
import { type FakeOpenAI, step } from "../fixtures/fake-openai.js";
import { candidate, twoVendors } from "./chain.js";
import { eventually } from "../helpers/eventually.js";
import { refusedPort } from "../helpers/ports.js";

const vendors = twoVendors();
let first: FakeOpenAI;
let second: FakeOpenAI;
beforeEach(() => ({ first, second } = vendors));

function cooldowns(settings: Partial<CooldownSettings> = {}) {
  return new Cooldowns({ settings: () => ({ ...DEFAULT_COOLDOWN_SETTINGS, ...settings }) });
}

async function run(chain: FailoverProvider) {
  const events: StreamEvent[] = [];
  try {
    const messages = [{ role: "user" as const, content: "hello" }];
    for await (const ev of chain.stream({ model: "", messages, signal: new AbortController().signal })) {
      events.push(ev);
    }
    return { events, used: used(events), error: undefined };
  } catch (error) {
    return { events, used: used(events), error: error as ModelError };
  }
}
const used = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === "attempt" ? [`${e.ref} ${e.credential}`] : []));

const chainOf = (cd: Cooldowns, ...cs: Candidate[]) =>
  new FailoverProvider(cs, { deadlineMs: 10_000, cooldowns: cd });

describe("FailoverProvider with cooldowns", () => {
  for (const [name, header] of [
    ["seconds", () => "30"],
    ["an HTTP date", () => new Date(Date.now() + 30_000).toUTCString()],
  ] as const) {
    it(`a 429 with Retry-After in ${name} cools that (credential, model): no request reaches it while cooling`, async () => {
      const cd = cooldowns();
      const a = candidate("a", first.url);
      const b = candidate("b", second.url);
      first.setScript([step.status(429, { error: { message: "slow down" } }, { "retry-after": header() })]);
      const r1 = await run(chainOf(cd, a, b));
      expect(r1.used).toEqual(["a/m a:0", "b/m b:0"]);
      expect(r1.error).toBeUndefined();
      const [entry] = cd.entries();
      expect(entry).toMatchObject({ scope: "credential_model", kind: "rate_limit", state: "cooling" });
      expect(entry!.until - Date.now()).toBeGreaterThan(25_000);
      expect(entry!.until - Date.now()).toBeLessThanOrEqual(31_000);
      for (let i = 0; i < 3; i++) expect((await run(chainOf(cd, a, b))).used).toEqual(["b/m b:0"]);
      expect(first.requests).toHaveLength(1);
    });
  }

  it("a 401 cools the credential: the second credential answers now and on later turns", async () => {
    const cd = cooldowns();
    const a = candidate("a", first.url, { keys: ["sk-bad", "sk-good"] });
    first.setScript((req) =>
      req.headers.authorization === "Bearer sk-bad"
        ? step.status(401, { error: { message: "bad key", type: "invalid_api_key" } })
        : step.reply("ok"),
    );
    expect((await run(chainOf(cd, a))).used).toEqual(["a/m a:0", "a/m a:1"]);
    expect(cd.entries()).toMatchObject([{ scope: "credential", credentialId: "a:0", kind: "auth" }]);
    // No pins here: the cooldown alone keeps the bad key out of the next turn.
    const r2 = await run(chainOf(cd, a));
    expect([r2.used, r2.error]).toEqual([["a/m a:1"], undefined]);
    expect(first.requests.map((r) => r.headers.authorization)).toEqual([
      "Bearer sk-bad",
      "Bearer sk-good",
      "Bearer sk-good",
    ]);
  });

  it("a 402 cools the credential for hours (billing)", async () => {
    const cd = cooldowns();
    first.setScript([
      step.status(402, { error: { message: "insufficient credit", code: "insufficient_quota" } }),
    ]);
    const r = await run(chainOf(cd, candidate("a", first.url), candidate("b", second.url)));
    expect(r.used).toEqual(["a/m a:0", "b/m b:0"]);
    const [entry] = cd.entries();
    expect(entry?.kind).toBe("billing");
    expect(entry!.until - Date.now()).toBeGreaterThan(4 * 3_600_000);
  });

  it("a 404 naming the model cools nothing: the next turn asks that candidate again", async () => {
    const cd = cooldowns();
    first.setScript([{ type: "model-not-found" }]);
    const a = candidate("a", first.url);
    const b = candidate("b", second.url);
    expect((await run(chainOf(cd, a, b))).used).toEqual(["a/m a:0", "b/m b:0"]);
    expect(cd.entries()).toEqual([]);
    expect((await run(chainOf(cd, a, b))).used).toEqual(["a/m a:0"]);
  });

  it("500 moves on at once and cools (credential, model) from the third in a row", async () => {
    const cd = cooldowns();
    first.setScript(() => step.status(500, { error: { message: "boom" } }));
    const a = candidate("a", first.url);
    const b = candidate("b", second.url);
    for (let i = 0; i < 3; i++) expect((await run(chainOf(cd, a, b))).used).toEqual(["a/m a:0", "b/m b:0"]);
    expect(cd.entries()).toMatchObject([{ kind: "server_error", scope: "credential_model" }]);
    expect((await run(chainOf(cd, a, b))).used).toEqual(["b/m b:0"]);
    expect(first.requests).toHaveLength(3);
  });

  it("a refused connection (network) cools the endpoint for every credential of it", async () => {
    const dead = await closedPortUrl();
    const cd = cooldowns();
    const a = candidate("a", dead, { keys: ["k1", "k2"] });
    const r = await run(chainOf(cd, a, candidate("b", second.url)));
    // network does not rotate: every credential shares the dead endpoint.
    expect(r.used).toEqual(["a/m a:0", "b/m b:0"]);
    expect(r.error).toBeUndefined();
    expect(cd.entries()).toMatchObject([{ scope: "endpoint", endpoint: dead, kind: "network" }]);
  });

  it("when every candidate is cooling the turn fails at once with the candidates and retryAfterMs", async () => {
    const cd = cooldowns();
    first.setScript([step.status(429, { error: { message: "slow" } }, { "retry-after": "20" })]);
    second.setScript([step.status(503, { error: { message: "overloaded" } }, { "retry-after": "40" })]);
    const a = candidate("a", first.url);
    const b = candidate("b", second.url);
    expect((await run(chainOf(cd, a, b))).error).toBeDefined();
    const r = await run(chainOf(cd, a, b));
    expect(r.used).toEqual([]);
    expect(r.error?.kind).toBe("rate_limit");
    const details = r.error!.toDetails();
    expect(details).toMatchObject({ reason: "all_candidates_cooling", kind: "rate_limit" });
    expect(details["retryAfterMs"]).toBeGreaterThan(15_000);
    expect(details["retryAfterMs"]).toBeLessThanOrEqual(20_000);
    expect(details["candidates"]).toMatchObject([
      { provider: "a", model: "m", kind: "rate_limit" },
      { provider: "b", model: "m", kind: expect.any(String) },
    ]);
    // Failing at once: the turn sent nothing (bench/suites/cooldowns.mjs times it).
    expect(first.requests.length + second.requests.length).toBe(2);
  });

  it("a turn that fails while other candidates cool names both: the attempts and the cooling ones", async () => {
    const cd = cooldowns();
    first.setScript([step.status(429, { error: { message: "slow" } }, { "retry-after": "20" })]);
    second.setScript([step.reply("ok"), step.status(500, { error: { message: "boom" } })]);
    const a = candidate("a", first.url);
    const b = candidate("b", second.url);
    expect((await run(chainOf(cd, a, b))).error).toBeUndefined();
    const r = await run(chainOf(cd, a, b));
    expect(r.used).toEqual(["b/m b:0"]);
    expect(r.error?.kind).toBe("server_error");
    const details = r.error!.toDetails();
    expect(details["attempts"]).toMatchObject([{ provider: "b", kind: "server_error", status: 500 }]);
    expect(details["cooling"]).toMatchObject([{ provider: "a", model: "m", kind: "rate_limit" }]);
    expect(details["coolingRetryAfterMs"]).toBeGreaterThan(15_000);
  });

  it("a success closes the key even when the caller stops reading at `done`", async () => {
    const cd = cooldowns({ rateLimitStepsMs: [50] });
    const a = candidate("a", first.url);
    first.setScript([step.status(429, { error: { message: "slow" } }), step.reply("ok")]);
    await run(chainOf(cd, a));
    await eventually(() => cd.entries()[0]?.state === "expired", { message: "the cooldown to expire" });
    const messages = [{ role: "user" as const, content: "hello" }];
    for await (const ev of chainOf(cd, a).stream({
      model: "",
      messages,
      signal: new AbortController().signal,
    })) {
      if (ev.type === "done") break;
    }
    expect(cd.entries()).toEqual([]);
  });

  it("half-open: at expiry exactly one of 20 concurrent turns probes; its success closes the key", async () => {
    const cd = cooldowns({ rateLimitStepsMs: [300] });
    const a = candidate("a", first.url);
    const b = candidate("b", second.url);
    first.setScript([step.status(429, { error: { message: "slow" } })]);
    await run(chainOf(cd, a, b));
    await eventually(() => cd.entries()[0]?.state === "expired", { message: "the cooldown to expire" });
    first.setScript(() => step.reply("probe ok", { headersDelayMs: 200 }));
    second.setScript(() => step.reply("from b"));
    const turns = await Promise.all(Array.from({ length: 20 }, () => run(chainOf(cd, a, b))));
    expect(turns.every((t) => t.error === undefined)).toBe(true);
    expect(first.requests).toHaveLength(2);
    expect(turns.filter((t) => t.used[0] === "a/m a:0")).toHaveLength(1);
    expect(cd.entries()).toEqual([]);
    expect((await run(chainOf(cd, a, b))).used).toEqual(["a/m a:0"]);
  });
});

/** A loopback URL nothing listens on. */
async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await refusedPort()}/v1`;
}
