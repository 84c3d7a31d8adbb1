// The gateway holds its config in one replaceable place: a swap reaches the next turn, the next
// admission and the method handlers without a restart (what a reload will do).
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { step } from "../fixtures/fake-openai.js";
import { merge } from "../helpers/gateway.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient } from "../helpers/ws.js";

describe("live config", () => {
  it("a swapped config changes the system prompt of the next turn, the run limit and models.list", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok"), {
      config: { agents: { defaults: { systemPrompt: "before" } } },
    });
    const fake = gw.fake;
    await using s = await openClient(gw.url, { scopes: ["operator.read", "operator.write"] });
    const final = (runId: string) =>
      s.next((f) => f.event === "chat" && f.payload.runId === runId && f.payload.state === "final");

    await s.request("chat.send", { sessionKey: "a", message: "one", idempotencyKey: "lc-1" });
    await final("lc-1");
    expect(fake.requests[0]?.body.messages[0]).toEqual({ role: "system", content: "before" });

    const next = merge(gw.config, {
      models: { providers: { mock: { models: [{ id: "mock-model" }, { id: "added" }] } } },
      agents: { defaults: { systemPrompt: "after" } },
      runs: { maxConcurrent: 1 },
    });
    gw.handle.config.swap(loadConfig({ path: "/nonexistent", env: {}, raw: next }).config);

    const listed = await s.request("models.list", {});
    expect(listed.payload.models.map((m: { id: string }) => m.id)).toEqual(["mock-model", "added"]);
    fake.setScript([{ type: "hang-after-headers", chunks: ["x"] }]);
    await s.request("chat.send", { sessionKey: "b", message: "two", idempotencyKey: "lc-2" });
    const refused = await s.request("chat.send", {
      sessionKey: "c",
      message: "three",
      idempotencyKey: "lc-3",
    });
    expect(refused.error).toMatchObject({ code: "UNAVAILABLE", details: { limit: "runs.maxConcurrent" } });
    await s.next((f) => f.event === "chat" && f.payload.runId === "lc-2" && f.payload.state === "delta");
    expect(fake.requests[1]?.body.messages[0]).toEqual({ role: "system", content: "after" });
    await s.request("chat.abort", { sessionKey: "b" });
  });
});
