// A gateway whose only candidate is cooling: chat.send is acked and the run ends at once with a
// chat error (errorKind rate_limit, details all_candidates_cooling) without calling the vendor;
// at expiry one turn probes while the rest still see it cooling.
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient, type TestSocket } from "../helpers/ws.js";

/** Sends one chat turn and returns its terminal chat event's payload. */
async function end(s: TestSocket, session: string, key: string) {
  const ack = await s.request("chat.send", { sessionKey: session, message: key, idempotencyKey: key });
  expect(ack.payload.status).toBe("started");
  return (
    await s.next(
      (f) => f.event === "chat" && f.payload.runId === key && ["final", "error"].includes(f.payload.state),
      10_000,
    )
  ).payload;
}

describe("all candidates cooling", () => {
  it("the next turn fails at once with the cooling details and the vendor gets no request", async () => {
    await using gw = await gatewayWithFakeVendor([
      step.status(429, { error: { message: "slow down" } }, { "retry-after": "60" }),
    ]);
    await using s = await openClient(gw.url);
    expect(await end(s, "main", "one")).toMatchObject({ state: "error", errorKind: "rate_limit" });
    const two = await end(s, "main", "two");
    expect(two).toMatchObject({
      state: "error",
      errorKind: "rate_limit",
      details: {
        reason: "all_candidates_cooling",
        candidates: [
          { provider: "mock", model: "mock-model", kind: "rate_limit", until: expect.any(String) },
        ],
      },
    });
    expect(two.details.retryAfterMs).toBeGreaterThan(50_000);
    expect(gw.fake.requests).toHaveLength(1);
    // The gateway keeps serving: status answers and lists the cooldown.
    const status = (await s.request("status", {})).payload;
    expect(status.cooldowns).toMatchObject([{ provider: "mock", kind: "rate_limit", state: "cooling" }]);
  });
});

describe("half-open probe through the gateway", () => {
  it("at expiry exactly one of 20 concurrent turns reaches the vendor; its success reopens the model", async () => {
    await using gw = await gatewayWithFakeVendor([step.status(429, { error: { message: "slow down" } })], {
      config: { models: { cooldowns: { rateLimitStepsMs: [300] } }, runs: { maxConcurrent: 32 } },
    });
    await using s = await openClient(gw.url);
    expect(await end(s, "main", "first")).toMatchObject({ state: "error", errorKind: "rate_limit" });
    await eventually(async () => (await s.request("status", {})).payload.cooldowns[0]?.state === "expired", {
      message: "the cooldown to expire",
    });
    // The probe answers slowly, so the other 19 turns arrive while it is out.
    gw.fake.setScript(() => step.reply("probe ok", { headersDelayMs: 300 }));
    const ends = await Promise.all(Array.from({ length: 20 }, (_, i) => end(s, `s${i}`, `t${i}`)));
    expect(gw.fake.requests).toHaveLength(2);
    expect(ends.filter((e) => e.state === "final")).toHaveLength(1);
    const held = ends.filter((e) => e.state === "error");
    expect(held).toHaveLength(19);
    expect(held.every((e) => e.details.reason === "all_candidates_cooling")).toBe(true);
    // The probe's success closed the key: the next turn goes straight to the vendor.
    expect(await end(s, "main", "after")).toMatchObject({ state: "final" });
    expect(gw.fake.requests).toHaveLength(3);
    expect((await s.request("status", {})).payload.cooldowns).toEqual([]);
  });
});
