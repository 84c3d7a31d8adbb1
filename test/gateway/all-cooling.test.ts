// A gateway whose only candidate is cooling: chat.send is acked and the run ends at once with a
// chat error (errorKind rate_limit, details all_candidates_cooling) without calling the vendor.
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient } from "../helpers/ws.js";

describe("all candidates cooling", () => {
  it("the next turn fails at once with the cooling details and the vendor gets no request", async () => {
    await using gw = await gatewayWithFakeVendor([
      step.status(429, { error: { message: "slow down" } }, { "retry-after": "60" }),
    ]);
    await using s = await openClient(gw.url);
    const end = async (key: string) => {
      const ack = await s.request("chat.send", { sessionKey: "main", message: key, idempotencyKey: key });
      expect(ack.payload.status).toBe("started");
      return (
        await s.next(
          (f) =>
            f.event === "chat" && f.payload.runId === key && ["final", "error"].includes(f.payload.state),
          10_000,
        )
      ).payload;
    };
    expect(await end("one")).toMatchObject({ state: "error", errorKind: "rate_limit" });
    const two = await end("two");
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
