// With no provider configured, OPENAI_API_KEY (+ OPENAI_BASE_URL) makes an ordinary `openai` provider and default model.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { redactConfig, REDACTED } from "../../src/config/walk.js";

const load = (raw: Record<string, unknown>, env: Record<string, string>) =>
  loadConfig({ path: "/nonexistent", raw, env });

describe("env-configured default provider", () => {
  it("OPENAI_API_KEY alone: provider openai on api.openai.com, model openai/gpt-4o-mini, key redacted", () => {
    const loaded = load({}, { OPENAI_API_KEY: "sk-env-only" });
    const openai = loaded.config.models.providers["openai"]!;
    expect(openai).toMatchObject({
      baseUrl: "https://api.openai.com/v1",
      apiKey: "sk-env-only",
      api: "openai-completions",
      timeoutSeconds: 120,
      models: [{ id: "gpt-4o-mini", input: ["text"], tools: true }],
    });
    expect(loaded.config.agents.defaults.model).toBe("openai/gpt-4o-mini");
    expect(loaded.envProviders).toEqual(["openai"]);
    expect(redactConfig(loaded.config).models.providers["openai"]!.apiKey).toBe(REDACTED);
  });

  it("ANTHROPIC_API_KEY alone: provider anthropic on the Messages API; with both keys each gets its provider", () => {
    const alone = load({}, { ANTHROPIC_API_KEY: "sk-ant-env", ANTHROPIC_BASE_URL: "http://127.0.0.1:4001" });
    expect(alone.config.models.providers["anthropic"]).toMatchObject({
      api: "anthropic-messages",
      baseUrl: "http://127.0.0.1:4001",
      apiKey: "sk-ant-env",
      models: [{ id: "claude-sonnet-4-5" }],
    });
    expect(alone.config.agents.defaults.model).toBe("anthropic/claude-sonnet-4-5");
    const both = load({}, { OPENAI_API_KEY: "sk-o", ANTHROPIC_API_KEY: "sk-a" });
    expect(Object.keys(both.config.models.providers).sort()).toEqual(["anthropic", "openai"]);
    // The first row's model is the default.
    expect(both.config.agents.defaults.model).toBe("openai/gpt-4o-mini");
  });

  it("OPENAI_BASE_URL moves it; agents.defaults.model still names the model (listed too)", () => {
    const { config } = load(
      { agents: { defaults: { model: { primary: "openai/gpt-5", fallbacks: ["openai/gpt-4.1"] } } } },
      { OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: "http://127.0.0.1:4000/v1/" },
    );
    expect(config.models.providers["openai"]!.baseUrl).toBe("http://127.0.0.1:4000/v1");
    expect(config.models.providers["openai"]!.models.map((m) => m.id)).toEqual([
      "gpt-4o-mini",
      "gpt-5",
      "gpt-4.1",
    ]);
    expect(config.agents.defaults.model).toEqual({ primary: "openai/gpt-5", fallbacks: ["openai/gpt-4.1"] });
  });

  it("does nothing when the config has a provider, or the variable is unset or empty", () => {
    const own = { models: { providers: { mine: { baseUrl: "http://127.0.0.1:9/v1" } } } };
    const a = load(own, { OPENAI_API_KEY: "sk-x" });
    expect(Object.keys(a.config.models.providers)).toEqual(["mine"]);
    expect(a.envProviders).toEqual([]);
    for (const env of [{}, { OPENAI_API_KEY: "" }] as Record<string, string>[]) {
      const b = load({}, env);
      expect(b.config.models.providers).toEqual({});
      expect(b.config.agents.defaults.model).toBeUndefined();
    }
  });

  it("a ref to another provider is still a config error", () => {
    expect(() =>
      load({ agents: { defaults: { model: "anthropic/claude" } } }, { OPENAI_API_KEY: "sk-x" }),
    ).toThrow(
      /agents\.defaults\.model: "anthropic\/claude" names provider "anthropic".*models\.providers: openai/,
    );
  });
});
