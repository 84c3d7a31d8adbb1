// What the user sees of failing providers: health, status and models.list name each provider's
// credentials and models with their state and last error; contextFallbacks take a long prompt.
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { type Frame, openClient, type TestSocket } from "../helpers/ws.js";

async function turn(s: TestSocket, key: string, message = key) {
  await s.request("chat.send", { sessionKey: "main", message, idempotencyKey: key });
  return (
    await s.next(
      (f: Frame) =>
        f.event === "chat" && f.payload.runId === key && ["final", "error"].includes(f.payload.state),
      10_000,
    )
  ).payload;
}

const chainConfig = (model: Record<string, unknown>, models: Record<string, unknown>[]) => ({
  models: { providers: { mock: { models } } },
  agents: { defaults: { model } },
});

describe("model states in health, status and models.list", () => {
  it("a 404 leaves the model ok with its last error; a 429 cools it; a 402 disables the credential", async () => {
    await using gw = await gatewayWithFakeVendor(
      [
        { type: "model-not-found" },
        step.reply("from b"),
        { type: "model-not-found" },
        step.status(429, { error: { message: "slow down" } }, { "retry-after": "60" }),
        step.status(402, { error: { message: "out of credit" } }),
      ],
      {
        apiKey: "sk-test",
        config: chainConfig({ primary: "mock/a", fallbacks: ["mock/b"] }, [{ id: "a" }, { id: "b" }]),
      },
    );
    await using s = await openClient(gw.url);
    expect(await turn(s, "one")).toMatchObject({ state: "final" });
    let mock = (await s.request("health", {})).payload.providers[0];
    expect(mock).toMatchObject({ id: "mock", endpoint: { state: "ok" } });
    expect(mock.models).toEqual([
      {
        id: "a",
        state: "ok",
        lastError: { kind: "model_not_found", at: expect.any(String), credential: expect.any(String) },
      },
      { id: "b", state: "ok" },
    ]);

    // The 404 cooled nothing, so "a" is asked again; "b" answers 429 and cools.
    expect(await turn(s, "two")).toMatchObject({ state: "error", errorKind: "rate_limit" });
    const status = (await s.request("status", {})).payload;
    expect(status.providers[0].models[1]).toMatchObject({
      id: "b",
      state: "cooling",
      kind: "rate_limit",
      until: expect.any(String),
      lastError: { kind: "rate_limit" },
    });
    expect(status.providers[0].credentials).toEqual([{ id: expect.any(String), state: "ok" }]);
    const listed = (await s.request("models.list", {})).payload.models;
    expect(listed.map((m: { id: string; state: string }) => [m.id, m.state])).toEqual([
      ["a", "ok"],
      ["b", "cooling"],
    ]);

    // 402 on "a" disables the one credential for hours; "b" was skipped as cooling, and the
    // turn's error names both what failed and what cools.
    const three = await turn(s, "three");
    // The chat event's errorKind is the wire enum; details carry the full kind.
    expect(three).toMatchObject({ state: "error", errorKind: "unknown", details: { kind: "billing" } });
    expect(three.details.cooling).toMatchObject([{ provider: "mock", model: "b", kind: "rate_limit" }]);
    mock = (await s.request("health", {})).payload.providers[0];
    expect(mock.credentials).toEqual([
      { id: expect.any(String), state: "disabled", kind: "billing", until: expect.any(String) },
    ]);
    expect(mock.models.map((m: { state: string }) => m.state)).toEqual(["disabled", "disabled"]);
    expect(JSON.stringify(mock)).not.toContain("sk-test");
    expect(gw.fake.requests).toHaveLength(5);
  });

  it("contextFallbacks: a prompt too long for the agent's model goes to the larger one", async () => {
    await using gw = await gatewayWithFakeVendor([step.reply("read it all")], {
      config: chainConfig({ primary: "mock/small", contextFallbacks: ["mock/big"] }, [
        { id: "small", contextWindow: 300 },
        { id: "big", contextWindow: 200_000 },
      ]),
    });
    await using s = await openClient(gw.url);
    expect(await turn(s, "long", "word ".repeat(2_000))).toMatchObject({ state: "final" });
    expect(gw.fake.requests).toHaveLength(1);
    expect(gw.fake.requests[0]!.body.model).toBe("big");
  });
});
