// Providers from config, ref resolution, models.list, agents' model chains, and the kind tables.
import { Value } from "@sinclair/typebox/value";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { agent } from "../../src/methods/agent.js";
import { modelsList } from "../../src/methods/models.js";
import { createProviders } from "../../src/models/providers.js";
import { ModelRegistry, parseModelRef } from "../../src/models/registry.js";
import { runModels } from "../../src/runs/candidates.js";
import { errorKindForChat, MODEL_ERROR_KINDS, ModelError } from "../../src/models/types.js";
import { type FakeOpenAI, startFakeOpenAI, step } from "../fixtures/fake-openai.js";
import { collect } from "./contract.js";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());

function config(extra: Record<string, unknown> = {}) {
  const raw = {
    models: {
      defaultContextWindow: 32_000,
      providers: {
        local: {
          baseUrl: fake.url,
          apiKey: "sk-local",
          headers: { "x-org": "keel" },
          models: [{ id: "small", name: "Small", contextWindow: 8_192, maxTokens: 1_024 }, { id: "big" }],
        },
        other: { baseUrl: "http://127.0.0.1:9/v1", models: [{ id: "vendor/model-x" }] },
      },
    },
    ...extra,
  };
  return loadConfig({ path: "/nonexistent", raw, env: {} }).config;
}

describe("ModelRegistry", () => {
  it("builds a working provider per configured entry, with its key and headers", async () => {
    const providers = createProviders(config());
    expect([...providers.keys()]).toEqual(["local", "other"]);
    fake.setScript([step.reply("from config")]);
    const c = await collect(providers.get("local")!);
    expect(c.text).toBe("from config");
    const req = fake.requests.at(-1)!;
    expect(req.headers["authorization"]).toBe("Bearer sk-local");
    expect(req.headers["x-org"]).toBe("keel");
  });

  it("resolves refs with limits, defaulting the context window", () => {
    const registry = new ModelRegistry(config());
    const small = registry.resolve("local/small");
    expect(small.provider.id).toBe("local");
    expect(small.model).toEqual({ id: "small", name: "Small", contextWindow: 8_192, maxTokens: 1_024 });
    expect(small.listed).toBe(true);
    expect(registry.resolve("local/big").model).toEqual({ id: "big", name: "big", contextWindow: 32_000 });
    // Model ids may contain slashes; only the first one separates the provider.
    expect(registry.resolve("other/vendor/model-x").model.id).toBe("vendor/model-x");
    const unlisted = registry.resolve("local/not-listed");
    expect([unlisted.listed, unlisted.model.contextWindow]).toEqual([false, 32_000]);
  });

  it("an unknown provider or a malformed ref is model_not_found naming what is configured", () => {
    const registry = new ModelRegistry(config());
    for (const ref of ["nope/m", "no-slash"]) {
      let err: unknown;
      try {
        registry.resolve(ref);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ModelError);
      expect((err as ModelError).kind).toBe("model_not_found");
      expect((err as ModelError).message).toContain("local, other");
    }
    expect(parseModelRef("a/b/c")).toEqual({ provider: "a", model: "b/c" });
    expect(parseModelRef("/b")).toBeUndefined();
    expect(parseModelRef("a/")).toBeUndefined();
  });

  it("lists every configured model for models.list", () => {
    const rest = {
      api: "openai-completions",
      input: ["text"],
      tools: true,
      reasoning: false,
      available: true,
    };
    expect(new ModelRegistry(config()).list()).toEqual({
      models: [
        { id: "small", name: "Small", provider: "local", contextWindow: 8_192, maxTokens: 1_024, ...rest },
        { id: "big", name: "big", provider: "local", contextWindow: 32_000, ...rest },
        { id: "vendor/model-x", name: "vendor/model-x", provider: "other", contextWindow: 32_000, ...rest },
      ],
    });
    expect(new ModelRegistry(loadConfig({ path: "/nonexistent", env: {} }).config).list()).toEqual({
      models: [],
    });
  });

  it("resolves an agent's model: its own entry, else the defaults, with de-duplicated fallbacks", () => {
    const registry = new ModelRegistry(
      config({
        agents: {
          defaults: {
            model: {
              primary: "local/big",
              fallbacks: ["local/small", "local/big", "local/small", "other/vendor/model-x"],
              contextFallbacks: ["local/huge", "local/huge"],
            },
          },
          entries: { coder: { model: "local/small" }, writer: { name: "Writer" } },
        },
      }),
    );
    expect(registry.agentModel("main")).toEqual({
      primary: "local/big",
      fallbacks: ["local/small", "other/vendor/model-x"],
      contextFallbacks: ["local/huge"],
      source: "defaults",
    });
    expect(registry.agentModel("writer")?.source).toBe("defaults");
    expect(registry.agentModel("coder")).toEqual({
      primary: "local/small",
      fallbacks: [],
      contextFallbacks: [],
      source: "agent",
    });
    expect(new ModelRegistry(config()).agentModel("main")).toBeUndefined();
  });
});

describe("kind tables", () => {
  it("maps kinds to the chat errorKind as Keel's choices say", () => {
    const mapped = Object.fromEntries(MODEL_ERROR_KINDS.map((k) => [k, errorKindForChat(k)]));
    expect(mapped).toEqual({
      auth: "unknown",
      billing: "unknown",
      rate_limit: "rate_limit",
      overloaded: "unknown",
      timeout: "timeout",
      network: "unknown",
      model_not_found: "unknown",
      endpoint_not_found: "unknown",
      context_length: "context_length",
      content_policy: "refusal",
      bad_request: "unknown",
      server_error: "unknown",
    });
  });

  it("ModelError carries its details for chat events and attempt records", () => {
    const err = new ModelError("rate_limit", "slow down", {
      provider: "p",
      model: "m",
      status: 429,
      retryAfterMs: 5,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("ModelError");
    expect(err.toDetails()).toEqual({
      kind: "rate_limit",
      provider: "p",
      model: "m",
      status: 429,
      retryAfterMs: 5,
    });
  });
});

describe("aliases, availability and models.list details", () => {
  const raw = {
    models: {
      providers: {
        local: {
          baseUrl: "http://127.0.0.1:9/v1",
          models: [{ id: "small", input: ["text", "image"], tools: false, reasoning: true }, { id: "big" }],
        },
        locked: { baseUrl: "http://127.0.0.1:9/v1", models: [{ id: "m" }] },
      },
    },
    auth: { profiles: { "locked:work": { provider: "locked", mode: "api_key" } } },
    agents: {
      defaults: {
        model: { primary: "Fast", fallbacks: ["big-one"] },
        models: { "local/small": { alias: "Fast" }, "local/big": { alias: "big-one" } },
      },
      entries: { coder: { model: "FAST" } },
    },
  };
  const cfg = () => loadConfig({ path: "/nonexistent", raw, env: {} }).config;

  it("resolves an alias (any case) wherever a ref goes, and keeps refs as they are", () => {
    const registry = new ModelRegistry(cfg());
    expect(registry.resolve("fast").ref).toBe("local/small");
    expect(registry.resolve("Big-One").model.id).toBe("big");
    expect(registry.resolve("local/big").ref).toBe("local/big");
    expect(() => registry.resolve("nobody")).toThrow(ModelError);
    const chain = runModels(() => registry).candidates("main");
    expect(chain.map((c) => c.ref)).toEqual(["local/small", "local/big"]);
    expect(runModels(() => registry).candidates("coder")[0]!.modelId).toBe("small");
    expect(
      runModels(() => registry)
        .candidates("main", "big-one")
        .map((c) => c.ref),
    ).toEqual(["local/big"]);
  });

  it("an unknown alias or one defined twice is a config error with its path", () => {
    const bad = (agents: object) => {
      try {
        loadConfig({ path: "/nonexistent", raw: { ...raw, agents }, env: {} });
      } catch (err) {
        return (err as { problems: { path: string }[] }).problems.map((p) => p.path);
      }
      return [];
    };
    expect(bad({ defaults: { model: "Slow" } })).toEqual(["agents.defaults.model"]);
    expect(
      bad({ defaults: { models: { "local/small": { alias: "x" }, "local/big": { alias: "X" } } } }),
    ).toEqual(["agents.defaults.models.local/big.alias"]);
  });

  it("lists api, limits, input kinds, tool support, alias, the default tag and availability", () => {
    const registry = new ModelRegistry(cfg());
    expect(registry.list().models).toEqual([
      {
        id: "small",
        name: "small",
        provider: "local",
        api: "openai-completions",
        contextWindow: 128_000,
        input: ["text", "image"],
        tools: false,
        reasoning: true,
        available: true,
        alias: "Fast",
        tags: ["default"],
      },
      expect.objectContaining({ id: "big", alias: "big-one", tools: true, input: ["text"], available: true }),
      expect.objectContaining({ id: "m", provider: "locked", available: false }),
    ]);
  });

  it("a provider without a usable credential fails its turn at once, saying how to fix it", () => {
    const registry = new ModelRegistry(cfg());
    expect(() => runModels(() => registry).candidates("main", "locked/m")).toThrow(
      /locked:work.*keel auth add/,
    );
  });

  it("with no provider at all, a turn fails naming OPENAI_API_KEY", () => {
    const registry = new ModelRegistry(loadConfig({ path: "/nonexistent", env: {} }).config);
    expect(() => runModels(() => registry).candidates("main")).toThrow(
      /no model provider is configured: set OPENAI_API_KEY or ANTHROPIC_API_KEY in the gateway.s environment/,
    );
  });
});

describe("method params that take model refs", () => {
  it("agent accepts an alias as its model; models.list accepts the reference CLI's includeDetails", () => {
    const base = { message: "hi", idempotencyKey: "k" };
    expect(Value.Check(agent.params, { ...base, model: "Fast" })).toBe(true);
    expect(Value.Check(agent.params, { ...base, model: "local/small" })).toBe(true);
    expect(Value.Check(agent.params, { ...base, model: "has/" })).toBe(false);
    expect(Value.Check(modelsList.params, { view: "default", includeDetails: true })).toBe(true);
  });
});
