// A gateway with no config file at all: OPENAI_API_KEY + OPENAI_BASE_URL in its environment are enough for a
// chat turn; with neither, the turn fails at once saying what to set.
import { describe, expect, it } from "vitest";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { spawnGateway } from "../helpers/process.js";
import { keel } from "./run.js";

describe("the environment's default provider", () => {
  it("OPENAI_API_KEY and OPENAI_BASE_URL configure provider openai and model gpt-4o-mini", async () => {
    await using fake = await startFakeOpenAI({ apiKey: "sk-env-default-9a8b7c" });
    await using gw = await spawnGateway([], undefined, {
      env: { OPENAI_API_KEY: "sk-env-default-9a8b7c", OPENAI_BASE_URL: fake.url },
    });
    const r = await keel(["agent", "-m", "hello"], gw.env);
    expect(r.code, r.stderr).toBe(0);
    expect(fake.requests.at(-1)!.body.model).toBe("gpt-4o-mini");
    const got = await keel(["gateway", "call", "config.get"], gw.env);
    const { config } = JSON.parse(got.stdout);
    expect(config.models.providers.openai).toMatchObject({ baseUrl: fake.url, apiKey: "__KEEL_REDACTED__" });
    expect(config.agents.defaults.model).toBe("openai/gpt-4o-mini");
    expect(got.stdout + gw.output()).not.toContain("sk-env-default-9a8b7c");
  });

  it("with no provider and no key variable, a turn fails at once naming OPENAI_API_KEY", async () => {
    await using gw = await spawnGateway();
    const r = await keel(["agent", "-m", "hello"], gw.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("OPENAI_API_KEY");
  });
});
