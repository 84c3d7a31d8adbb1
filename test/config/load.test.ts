import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseDuration } from "../../src/config/load.js";
import { resolveConfigPath, resolveStateDir } from "../../src/config/paths.js";
import { REDACTED, redactConfig, secretValues } from "../../src/config/walk.js";
import { configWarnings } from "../../src/models/warnings.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fileWith(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "keel-config-"));
  dirs.push(dir);
  const path = join(dir, "keel.json");
  writeFileSync(path, text);
  return path;
}
function problemsOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("config loading", () => {
  it("a missing file means defaults", () => {
    const r = loadConfig({ path: "/nonexistent/keel.json", env: {} });
    expect(r.exists).toBe(false);
    expect(r.config.gateway.port).toBe(18789);
    expect(r.config.gateway.bind).toBe("loopback");
    expect(r.config.gateway.handshakeTimeoutMs).toBe(15_000);
    expect(r.config.session.maintenance.maxEntries).toBe(500);
    expect(r.config.agents.defaultId).toBe("main");
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("reads JSON5 with comments and trailing commas", () => {
    const path = fileWith(`{
      // a comment
      gateway: { port: 19000, },
      agents: { entries: { ops: { name: "Ops", model: "local/llama", timeoutSeconds: 60 } } },
      models: { providers: { local: { baseUrl: "http://127.0.0.1:1/v1" } } },
    }`);
    const r = loadConfig({ path, env: {} });
    expect(r.exists).toBe(true);
    expect(r.config.gateway.port).toBe(19000);
    expect(r.config.agents.entries["ops"]?.name).toBe("Ops");
  });

  it("reports every problem at once, each with its path", () => {
    const problems = problemsOf(() =>
      loadConfig({
        path: "/x",
        env: {},
        raw: {
          gateway: { port: 70000, bogus: 1, auth: { mode: "magic" } },
          session: { maintenance: { pruneAfter: "forever" } },
          agents: { entries: { main: { model: "no-slash" } } },
          surprise: true,
        },
      }),
    );
    const paths = problems.map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        "agents.entries.main.model",
        "gateway.auth.mode",
        "gateway.bogus",
        "gateway.port",
        "session.maintenance.pruneAfter",
        "surprise",
      ].sort(),
    );
    expect(problems.find((p) => p.path === "gateway.bogus")?.message).toBe("unknown key");
    expect(problems.find((p) => p.path === "gateway.auth.mode")?.message).toContain("token, password, none");
    expect(problems.find((p) => p.path === "gateway.port")?.message).toContain("70000");
  });

  it("a file that is not JSON5 is one problem naming the file", () => {
    const path = fileWith("{ gateway: ");
    const problems = problemsOf(() => loadConfig({ path, env: {} }));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/JSON5/);
  });

  it("substitutes ${VAR}, keeps $${VAR} literal, and reports unset vars with their path", () => {
    const r = loadConfig({
      path: "/x",
      env: { TOK: "s3cret-token" },
      raw: {
        gateway: { auth: { token: "${TOK}" } },
        agents: { defaults: { systemPrompt: "cost: $${TOK}" } },
      },
    });
    expect(r.config.gateway.auth.token).toBe("s3cret-token");
    expect(r.config.agents.defaults.systemPrompt).toBe("cost: ${TOK}");
    const problems = problemsOf(() =>
      loadConfig({
        path: "/x",
        env: {},
        raw: { models: { providers: { p: { baseUrl: "http://h", apiKey: "${MISSING_KEY}" } } } },
      }),
    );
    expect(problems).toEqual([
      { path: "models.providers.p.apiKey", message: "environment variable MISSING_KEY is not set" },
    ]);
  });

  it("precedence is flag > env > file > default", () => {
    const raw = { gateway: { port: 19001, handshakeTimeoutMs: 20_000 } };
    expect(loadConfig({ path: "/x", env: {}, raw }).config.gateway.port).toBe(19001);
    expect(loadConfig({ path: "/x", env: { KEEL_GATEWAY_PORT: "19002" }, raw }).config.gateway.port).toBe(
      19002,
    );
    const flagged = loadConfig({
      path: "/x",
      env: { KEEL_GATEWAY_PORT: "19002" },
      raw,
      flags: { "gateway.port": 19003 },
    });
    expect(flagged.config.gateway.port).toBe(19003);
    expect(
      loadConfig({ path: "/x", env: { KEEL_HANDSHAKE_TIMEOUT_MS: "30000" }, raw }).config.gateway
        .handshakeTimeoutMs,
    ).toBe(30_000);
  });

  it("an env value that does not parse is ignored with one warning; out of range is clamped", () => {
    const raw = { gateway: { handshakeTimeoutMs: 20_000 } };
    for (const bad of ["abc", "0", "-5", "12.5"]) {
      const r = loadConfig({ path: "/x", env: { KEEL_HANDSHAKE_TIMEOUT_MS: bad }, raw });
      expect(r.config.gateway.handshakeTimeoutMs).toBe(20_000);
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toContain("KEEL_HANDSHAKE_TIMEOUT_MS");
    }
    const low = loadConfig({ path: "/x", env: { KEEL_HANDSHAKE_TIMEOUT_MS: "500" }, raw });
    expect(low.config.gateway.handshakeTimeoutMs).toBe(1_000);
    expect(low.warnings[0]).toContain("clamped to 1000");
    const high = loadConfig({ path: "/x", env: { KEEL_HANDSHAKE_TIMEOUT_MS: "999999" }, raw });
    expect(high.config.gateway.handshakeTimeoutMs).toBe(120_000);
    const level = loadConfig({ path: "/x", env: { KEEL_LOG_LEVEL: "loud" }, raw });
    expect(level.config.logging.level).toBe("info");
    expect(level.warnings[0]).toContain("must be one of");
  });

  it("an invalid config-file value is an error even when env would override it", () => {
    const problems = problemsOf(() =>
      loadConfig({
        path: "/x",
        env: { KEEL_HANDSHAKE_TIMEOUT_MS: "5000" },
        raw: { gateway: { handshakeTimeoutMs: 50 } },
      }),
    );
    expect(problems[0]?.path).toBe("gateway.handshakeTimeoutMs");
  });

  it("an invalid hooks section is reported per section instead of failing the load", () => {
    const r = loadConfig({
      path: "/x",
      env: {},
      raw: { hooks: { enabled: true, path: "/", token: "${NOPE}" } },
    });
    expect(r.sections.hooks.ok).toBe(false);
    expect(r.sections.hooks.problems.map((p) => p.path).sort()).toEqual(["hooks.path", "hooks.token"]);
    expect(r.sections.gateway.ok).toBe(true);
    // The degraded section falls back to its defaults: nothing hook-related is enabled.
    expect(r.config.hooks.enabled).toBe(false);
  });

  it("the loaded config is deeply frozen", () => {
    const r = loadConfig({ path: "/x", env: {} });
    expect(() => {
      (r.config.gateway as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(Object.isFrozen(r.config.gateway.restartBackoff)).toBe(true);
  });

  it("redacts secrets and lists them for log masking", () => {
    const r = loadConfig({
      path: "/x",
      env: {},
      raw: {
        gateway: { auth: { token: "tok-123456" } },
        models: { providers: { p: { baseUrl: "http://h/v1", apiKey: "sk-abcdef" } } },
      },
    });
    const red = redactConfig(r.config);
    expect(red.gateway.auth.token).toBe(REDACTED);
    expect(red.models.providers["p"]?.apiKey).toBe(REDACTED);
    expect(red.models.providers["p"]?.baseUrl).toBe("http://h/v1");
    expect(r.config.gateway.auth.token).toBe("tok-123456");
    expect(secretValues(r.config).sort()).toEqual(["sk-abcdef", "tok-123456"]);
  });

  it("parses durations", () => {
    expect(parseDuration("30d")).toBe(30 * 86_400_000);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("250ms")).toBe(250);
  });

  it("resolves state dir and config path: flag > env > default", () => {
    expect(resolveStateDir("/a", { KEEL_STATE_DIR: "/b" })).toBe("/a");
    expect(resolveStateDir(undefined, { KEEL_STATE_DIR: "/b" })).toBe("/b");
    expect(resolveStateDir(undefined, {})).toMatch(/\.keel$/);
    expect(resolveConfigPath("/s", undefined, {})).toBe("/s/keel.json");
    expect(resolveConfigPath("/s", undefined, { KEEL_CONFIG_PATH: "/c.json5" })).toBe("/c.json5");
    expect(resolveConfigPath("/s", "/f.json", { KEEL_CONFIG_PATH: "/c.json5" })).toBe("/f.json");
  });

  it("a model ref to an unconfigured provider is a config error naming its path and the providers", () => {
    const problems = problemsOf(() =>
      loadConfig({
        path: "/x",
        env: {},
        raw: {
          models: {
            providers: { fake: { baseUrl: "http://127.0.0.1:1/v1" }, other: { baseUrl: "http://h/v1" } },
          },
          agents: {
            defaults: {
              model: { primary: "fake/m1", fallbacks: ["fake/m2", "nope/m3"], contextFallbacks: ["far/big"] },
            },
            entries: { ops: { model: "gone/x/y" } },
          },
        },
      }),
    );
    expect(problems).toEqual([
      {
        path: "agents.defaults.model.fallbacks.1",
        message: '"nope/m3" names provider "nope", which is not configured (models.providers: fake, other)',
      },
      {
        path: "agents.defaults.model.contextFallbacks.0",
        message: '"far/big" names provider "far", which is not configured (models.providers: fake, other)',
      },
      {
        path: "agents.entries.ops.model",
        message: '"gone/x/y" names provider "gone", which is not configured (models.providers: fake, other)',
      },
    ]);
    const none = problemsOf(() =>
      loadConfig({ path: "/x", env: {}, raw: { agents: { defaults: { model: "fake/m1" } } } }),
    );
    expect(none).toEqual([
      {
        path: "agents.defaults.model",
        message: '"fake/m1" names provider "fake", which is not configured (models.providers: none)',
      },
    ]);
  });

  it("warnings: no provider, an agent without a model, a model id the provider does not list", () => {
    expect(configWarnings(loadConfig({ path: "/nonexistent", env: {} }).config)).toEqual([
      "no model provider configured (models.providers is empty, and no OPENAI_API_KEY or ANTHROPIC_API_KEY in the environment): no chat can run",
      'default agent "main" has no model configured (set agents.defaults.model or agents.entries.main.model)',
    ]);
    const { config } = loadConfig({
      path: "/x",
      env: {},
      raw: {
        models: { providers: { fake: { baseUrl: "http://127.0.0.1:1/v1", models: [{ id: "m1" }] } } },
        agents: { defaults: { model: { primary: "fake/m1", fallbacks: ["fake/m9"] } } },
      },
    });
    expect(configWarnings(config)).toEqual([
      'agents.defaults.model.fallbacks.0: model id "m9" is not in models.providers.fake.models (listed: m1); it is called with default limits',
    ]);
  });
});
