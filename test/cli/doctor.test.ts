// doctor's model checks and the startup model-ref rules, with the built CLI against real loopback vendors.
import { writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../client/fake-server.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai.js";
import { runKeel, tempDir } from "../helpers/process.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { keel } from "./run.js";

interface Check {
  name: string;
  status: string;
  message: string;
  hint?: string;
}

let fake: FakeOpenAI;
let silent: ReturnType<typeof createServer>;
const held = new Set<Socket>();
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: "sk-good", models: ["m1", "served-only"] });
  // Accepts and never answers: the probe must give up on its own budget.
  silent = createServer((s) => held.add(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
});
afterAll(async () => {
  await fake.close();
  for (const s of held) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe("keel doctor checks models and providers", () => {
  it("with no config: no provider configured and no model for the default agent are problems (exit 1)", async () => {
    using dir = tempDir("keel-doctor-");
    const r = await keel(["doctor", "--json"], {
      KEEL_STATE_DIR: dir.path,
      KEEL_GATEWAY_PORT: String(await freePort()),
    });
    expect(r.code).toBe(1);
    const fails = (JSON.parse(r.stdout).checks as Check[]).filter((c) => c.status === "fail");
    expect(fails).toEqual([
      expect.objectContaining({
        name: "models",
        message: expect.stringContaining("no model provider configured"),
        hint: expect.stringContaining("keel init"),
      }),
    ]);
    const human = await keel(["doctor"], {
      KEEL_STATE_DIR: dir.path,
      KEEL_GATEWAY_PORT: String(await freePort()),
    });
    expect(human.stdout).toMatch(/^FAIL {2}models +no model provider configured/m);
    expect(human.stdout).toMatch(/1 problem\(s\) found/);
    expect(human.stdout).not.toMatch(/no problems found/);
  });

  it("one line per problem: refused port, rejected key, timeout, a model the provider does not serve", async () => {
    using dir = tempDir("keel-doctor-");
    const refused = await freePort();
    const silentPort = (silent.address() as { port: number }).port;
    writeFileSync(
      join(dir.path, "keel.json"),
      JSON.stringify({
        gateway: { port: await freePort() },
        models: {
          providers: {
            good: { baseUrl: fake.url, apiKey: "sk-good", models: [{ id: "m1" }, { id: "m9" }] },
            badkey: { baseUrl: fake.url, apiKey: "sk-wrong", models: [{ id: "m1" }] },
            dead: { baseUrl: `http://127.0.0.1:${refused}/v1`, models: [{ id: "x" }] },
            slow: { baseUrl: `http://127.0.0.1:${silentPort}/v1`, models: [{ id: "y" }] },
          },
        },
        agents: {
          defaults: { model: { primary: "good/m1", fallbacks: ["good/m9", "good/served-only", "dead/x"] } },
        },
      }),
    );
    const r = await keel(["doctor", "--json", "--timeout", "1000"], { KEEL_STATE_DIR: dir.path });
    expect(r.code).toBe(1);
    const checks = JSON.parse(r.stdout).checks as Check[];
    const by = (name: string) => checks.filter((c) => c.name === name);
    expect(by("provider good")).toEqual([
      expect.objectContaining({ status: "ok", message: expect.stringContaining("2 model(s) listed") }),
    ]);
    expect(by("provider badkey")).toEqual([
      expect.objectContaining({
        status: "fail",
        message: expect.stringMatching(/rejected the key \(HTTP 401: Incorrect API key provided\.\)/),
        hint: expect.stringContaining("models.providers.badkey.apiKey"),
      }),
    ]);
    expect(by("provider dead")).toEqual([
      expect.objectContaining({
        status: "fail",
        message: expect.stringContaining(`127.0.0.1:${refused}/v1/models: connection refused`),
        hint: "start the model server, or fix models.providers.dead.baseUrl",
      }),
    ]);
    expect(by("provider slow")).toEqual([
      expect.objectContaining({
        status: "fail",
        message: expect.stringContaining("no answer within 1000 ms"),
      }),
    ]);
    expect(by("model")).toEqual([
      expect.objectContaining({
        status: "ok",
        message: "agents.defaults.model.primary: good/m1 (the provider serves it)",
      }),
      expect.objectContaining({
        status: "fail",
        message: expect.stringMatching(
          /^agents\.defaults\.model\.fallbacks\.0: provider "good" does not serve "m9"/,
        ),
      }),
      expect.objectContaining({
        status: "warn",
        message:
          'agents.defaults.model.fallbacks.1: "served-only" is not in models.providers.good.models (the provider serves it)',
      }),
      // The dead provider's list is unknown; its ref is configured, so only the provider line fails.
      expect.objectContaining({ status: "ok", message: "agents.defaults.model.fallbacks.2: dead/x" }),
    ]);
  });
});

describe("model refs at startup", () => {
  it("doctor reports a ref to an unconfigured provider as the config failure, with its path", async () => {
    using dir = tempDir("keel-refs-");
    writeFileSync(
      join(dir.path, "keel.json"),
      JSON.stringify({
        models: { providers: { fake: { baseUrl: fake.url } } },
        agents: { entries: { ops: { model: "nope/m3" } } },
      }),
    );
    const r = await keel(["doctor", "--json"], { KEEL_STATE_DIR: dir.path });
    expect(r.code).toBe(1);
    const config = (JSON.parse(r.stdout).checks as Check[]).find((c) => c.name === "config");
    expect(config).toMatchObject({
      status: "fail",
      message: expect.stringContaining(
        'agents.entries.ops.model: "nope/m3" names provider "nope", which is not configured (models.providers: fake)',
      ),
    });
  });

  it("keel gateway run exits 78 on a ref to an unconfigured provider, naming its path and the providers", async () => {
    using dir = tempDir("keel-refs-");
    writeFileSync(
      join(dir.path, "keel.json"),
      JSON.stringify({
        models: { providers: { fake: { baseUrl: fake.url } } },
        agents: { defaults: { model: { primary: "fake/m1", fallbacks: ["fake/m2", "nope/m3"] } } },
      }),
    );
    const run = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    const { code } = await run.exited;
    expect(code).toBe(78);
    expect(run.output()).toContain(
      'agents.defaults.model.fallbacks.1: "nope/m3" names provider "nope", which is not configured (models.providers: fake)',
    );
    expect(run.output()).not.toMatch(/listening on/);
  });

  it("an unlisted model id starts anyway: health/status carry the warning, /readyz stays 200, the log has it once", async () => {
    await using gw = await gatewayWithFakeVendor([], {
      mode: "process",
      provider: "fake",
      models: ["m1"],
      fake: { apiKey: "sk-good", models: ["m1", "served-only"] },
      config: { agents: { defaults: { model: { primary: "fake/m1", fallbacks: ["fake/m9"] } } } },
    });
    const warning =
      'agents.defaults.model.fallbacks.0: model id "m9" is not in models.providers.fake.models (listed: m1); it is called with default limits';
    const health = await keel(["health", "--json"], gw.env);
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ ok: true, warnings: [warning] });
    const human = await keel(["health"], gw.env);
    expect(human.stdout).toContain(`Warnings (1)\n  ${warning}\n`);
    const status = await keel(["status", "--json"], gw.env);
    expect(JSON.parse(status.stdout).status.warnings).toEqual([warning]);
    expect((await keel(["status"], gw.env)).stdout).toContain(`Warnings (1)\n  ${warning}\n`);
    expect((await fetch(`http://127.0.0.1:${gw.port}/readyz`)).status).toBe(200);
    const logged = gw
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{") && (JSON.parse(l) as { msg?: string }).msg === warning);
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ level: 40 });
  });
});
