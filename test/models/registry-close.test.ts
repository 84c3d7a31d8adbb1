// Closing a model registry releases every adapter's pool: a later call on it fails at once
// instead of opening a socket (what a superseded config generation and shutdown rely on).
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ModelRegistry } from "../../src/models/registry.js";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { collect } from "./contract.js";

describe("ModelRegistry.close", () => {
  it("closes the pools of all three adapters", async () => {
    await using fake = await startFakeOpenAI();
    const providers = Object.fromEntries(
      (["openai-completions", "openai-responses", "anthropic-messages"] as const).map((api) => [
        api.replace(/[^a-z]/g, ""),
        { api, baseUrl: fake.url, models: [{ id: "m" }] },
      ]),
    );
    const registry = new ModelRegistry(
      loadConfig({ path: "/nonexistent", env: {}, raw: { models: { providers } } }).config,
    );
    expect(registry.providers.size).toBe(3);
    await registry.close();
    for (const provider of registry.providers.values()) {
      const c = await collect(provider);
      expect((c.error as { kind?: string }).kind, provider.id).toBe("network");
    }
    expect(fake.requests).toHaveLength(0);
  });
});
