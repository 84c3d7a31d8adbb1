// `api: "openai-responses"` in config builds the Responses adapter through PROVIDER_FACTORIES.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { OpenAIResponsesProvider } from "../../src/models/openai-responses.js";
import { createProviders } from "../../src/models/providers.js";
import { type FakeOpenAIResponses, startFakeOpenAIResponses } from "../fixtures/fake-openai-responses.js";
import { collect } from "./contract.js";

let fake: FakeOpenAIResponses;
beforeAll(async () => {
  fake = await startFakeOpenAIResponses({ apiKey: "sk-resp" });
});
afterAll(() => fake.close());

describe("openai-responses from config", () => {
  it("a provider with api openai-responses streams from <baseUrl>/responses with its key", async () => {
    const raw = {
      models: {
        providers: {
          oai: {
            api: "openai-responses",
            baseUrl: fake.url,
            apiKey: "sk-resp",
            models: [{ id: "gpt-test" }],
          },
        },
      },
    };
    const providers = createProviders(loadConfig({ path: "/nonexistent", raw, env: {} }).config);
    const provider = providers.get("oai")!;
    expect(provider).toBeInstanceOf(OpenAIResponsesProvider);
    fake.setScript([{ type: "reply", text: "via config" }]);
    const c = await collect(provider);
    expect(c.error).toBeUndefined();
    expect(c.text).toBe("via config");
    expect(fake.requests.at(-1)!.path).toBe("/v1/responses");
  });

  it("an api value the schema does not know is a config error naming the field", () => {
    const raw = { models: { providers: { x: { api: "openai-nope", baseUrl: "http://127.0.0.1:9/v1" } } } };
    expect(() => loadConfig({ path: "/nonexistent", raw, env: {} })).toThrow(
      /models\.providers\.x\.api: must be one of openai-completions, openai-responses/,
    );
  });
});
