// `keel models` shows the gateway's cooldowns: a model whose key was rate limited reads "cooling".
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { keel } from "./run.js";

describe("keel models with a cooling model", () => {
  it("lists it as cooling with the kind, the credential and until when", async () => {
    await using gw = await gatewayWithFakeVendor(
      [step.status(429, { error: { message: "slow down" } }, { "retry-after": "120" })],
      { mode: "process" },
    );
    expect((await keel(["agent", "-m", "hello"], gw.env)).code).toBe(1);
    const r = await keel(["models", "--json"], gw.env);
    expect(r.code).toBe(0);
    const [model] = JSON.parse(r.stdout).models;
    expect(model).toMatchObject({ provider: "mock", id: "mock-model", state: "cooling" });
    expect(model.detail).toMatch(/^rate_limit on mock:default until \d{4}-/);
    // The CLI's own probe lists models (GET); the only chat request is the one that was limited.
    expect(gw.fake.requests.filter((q) => q.method === "POST")).toHaveLength(1);
  });

  it("a model whose last turn got a 404 (which cools nothing) shows that last error", async () => {
    await using gw = await gatewayWithFakeVendor([{ type: "model-not-found" }], { mode: "process" });
    expect((await keel(["agent", "-m", "hello"], gw.env)).code).toBe(1);
    const r = await keel(["models", "--json", "--no-probe"], gw.env);
    expect(r.code).toBe(0);
    const [model] = JSON.parse(r.stdout).models;
    expect(model).toMatchObject({ id: "mock-model", state: "not probed" });
    expect(model.detail).toMatch(/^last error model_not_found at \d{4}-/);
  });
});
