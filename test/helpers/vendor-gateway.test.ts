// gatewayWithFakeVendor: a turn reaches the fake in both modes, config merges over the wiring, dispose frees all.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor } from "./vendor-gateway.js";
import { openClient, TestSocket } from "./ws.js";

const refused = (url: string) =>
  fetch(url).then(
    () => false,
    () => true,
  );

describe("gatewayWithFakeVendor", () => {
  it("in-process: the default agent runs mock/mock-model on the fake; options.config merges over it", async () => {
    const gw = await gatewayWithFakeVendor([step.reply("wired")], {
      config: { agents: { defaults: { systemPrompt: "merged" } } },
    });
    try {
      expect(gw.config).toMatchObject({
        agents: { defaults: { model: "mock/mock-model", systemPrompt: "merged" } },
        runs: { deltaThrottleMs: 0 },
      });
      await using s = await openClient(gw.url, { scopes: ["operator.read", "operator.write"] });
      await s.request("chat.send", { sessionKey: "main", message: "hi", idempotencyKey: "vg-1" });
      const final = await s.next((f) => f.event === "chat" && f.payload.state === "final");
      expect(final.payload.message.content[0].text).toBe("wired");
      expect(gw.fake.requests[0]?.body).toMatchObject({
        model: "mock-model",
        messages: [
          { role: "system", content: "merged" },
          { role: "user", content: "hi" },
        ],
      });
    } finally {
      await gw[Symbol.asyncDispose]();
    }
    // Disposed: the gateway no longer listens, the vendor is gone, the state dir removed.
    await expect(TestSocket.open(gw.url)).rejects.toThrow();
    expect(await refused(`${gw.fake.url}/models`)).toBe(true);
    expect(existsSync(gw.stateDir)).toBe(false);
  });

  it("process mode: a real gateway process on the fake, with the fake's apiKey wired in", async () => {
    const gw = await gatewayWithFakeVendor([step.reply("from the process")], {
      mode: "process",
      fake: { apiKey: "sk-fixture" },
    });
    try {
      // No secret configured: the gateway process generated its token into the state dir.
      const token = readFileSync(join(gw.stateDir, "gateway-token"), "utf8").trim();
      await using s = await openClient(gw.url, {
        auth: { token },
        scopes: ["operator.read", "operator.write"],
      });
      await s.request("chat.send", { sessionKey: "main", message: "hi", idempotencyKey: "vg-2" });
      const final = await s.next((f) => f.event === "chat" && f.payload.state === "final");
      expect(final.payload.message.content[0].text).toBe("from the process");
      expect(gw.env).toEqual({ KEEL_GATEWAY_PORT: String(gw.port), KEEL_STATE_DIR: gw.stateDir });
      expect(gw.fake.requests[0]?.headers.authorization).toBe("Bearer sk-fixture");
    } finally {
      await gw[Symbol.asyncDispose]();
    }
    expect(gw.child.exitCode ?? gw.child.signalCode).not.toBeNull();
    expect(await refused(`${gw.fake.url}/models`)).toBe(true);
    expect(existsSync(gw.stateDir)).toBe(false);
  });
});
