// Auth profiles: validation with paths, keys from keyEnv or <state>/credentials.json, each provider's credential order.
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  credentialsPath,
  loadProfileSecrets,
  readCredentialsFile,
  writeCredential,
} from "../../src/config/credentials.js";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { providerCredentials } from "../../src/models/providers.js";
import { tempDir } from "../helpers/process.js";

const providers = {
  openai: { baseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-config" },
  local: { baseUrl: "http://127.0.0.1:9/v1" },
};

function load(raw: Record<string, unknown>, env: Record<string, string> = {}) {
  return loadConfig({ path: "/nonexistent", raw: { models: { providers }, ...raw }, env });
}

function problems(raw: Record<string, unknown>): { path: string; message: string }[] {
  try {
    load(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("auth profile validation", () => {
  it("reports an unknown provider, a foreign id prefix and an unknown order entry, each with its path", () => {
    const found = problems({
      auth: {
        profiles: {
          "nope:a": { provider: "nope", mode: "api_key" },
          "openai:b": { provider: "local", mode: "api_key" },
          "openai:default": { provider: "openai", mode: "api_key" },
          "openai:ok": { provider: "openai", mode: "api_key", keyEnv: "OK_KEY" },
        },
        order: { openai: ["openai:ok", "openai:missing"], ghost: ["ghost:x"], local: ["openai:ok"] },
      },
    });
    const paths = found.map((p) => p.path);
    expect(paths).toEqual([
      "auth.profiles.nope:a.provider",
      "auth.profiles.openai:b",
      "auth.profiles.openai:default",
      "auth.order.openai.1",
      "auth.order.ghost",
      "auth.order.local.0",
    ]);
    expect(found[0]!.message).toContain('"nope", which is not configured');
    expect(found[3]!.message).toContain('unknown profile "openai:missing"');
    expect(found[3]!.message).toContain("openai:default, openai:ok");
    expect(found[5]!.message).toContain('belongs to provider "openai"');
  });

  it("accepts <provider>:default in an order as the provider's apiKey, and a bad keyEnv name is a schema error", () => {
    expect(problems({ auth: { order: { openai: ["openai:default"] } } })).toEqual([]);
    expect(problems({ auth: { order: { local: ["local:default"] } } })[0]!.path).toBe("auth.order.local.0");
    const bad = problems({
      auth: { profiles: { "openai:x": { provider: "openai", mode: "api_key", keyEnv: "1-X" } } },
    });
    expect(bad[0]!.path).toBe("auth.profiles.openai:x.keyEnv");
  });

  it('refuses the reserved provider id "keel"', () => {
    const found = problems({ models: { providers: { keel: { baseUrl: "http://127.0.0.1:9/v1" } } } });
    expect(found).toEqual([{ path: "models.providers.keel", message: expect.stringContaining("reserved") }]);
  });
});

describe("profile keys", () => {
  it("come from keyEnv, else credentials.json; a missing one is a warning that says what to do", () => {
    using dir = tempDir();
    writeCredential(dir.path, "openai:file", "sk-from-file");
    writeCredential(dir.path, "openai:both", "sk-file-loses");
    const { config } = load({
      auth: {
        profiles: {
          "openai:env": { provider: "openai", mode: "api_key", keyEnv: "WORK_KEY" },
          "openai:file": { provider: "openai", mode: "api_key" },
          "openai:both": { provider: "openai", mode: "api_key", keyEnv: "BOTH_KEY" },
          "openai:unset": { provider: "openai", mode: "api_key", keyEnv: "UNSET_KEY" },
          "openai:nofile": { provider: "openai", mode: "api_key" },
        },
      },
    });
    const secrets = loadProfileSecrets(config.auth, {
      stateDir: dir.path,
      env: { WORK_KEY: "sk-from-env", BOTH_KEY: "sk-env-wins" },
    });
    expect(Object.fromEntries([...secrets.keys].map(([id, s]) => [id, s.key]))).toEqual({
      "openai:env": "sk-from-env",
      "openai:file": "sk-from-file",
      "openai:both": "sk-env-wins",
    });
    expect(secrets.keys.get("openai:file")!.source).toEqual({ kind: "file" });
    expect(secrets.warnings).toEqual([
      expect.stringMatching(/openai:unset.*UNSET_KEY.*not set/),
      expect.stringMatching(/openai:nofile.*keel auth add openai:nofile/),
    ]);
  });

  it("credentials.json is written 0600, replaced atomically, and a readable-by-others file is warned about", () => {
    using dir = tempDir();
    expect(writeCredential(dir.path, "openai:a", "sk-1")).toBe(false);
    expect(writeCredential(dir.path, "openai:b", "sk-2")).toBe(false);
    expect(writeCredential(dir.path, "openai:a", "sk-3")).toBe(true);
    const path = credentialsPath(dir.path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, "utf8")).profiles["openai:a"].key).toBe("sk-3");
    expect(readCredentialsFile(dir.path)).toEqual({
      profiles: { "openai:a": "sk-3", "openai:b": "sk-2" },
      warnings: [],
    });
    chmodSync(path, 0o644);
    expect(readCredentialsFile(dir.path).warnings[0]).toContain("chmod 600");
    writeFileSync(join(dir.path, "credentials.json"), "not json");
    expect(readCredentialsFile(dir.path).warnings.join("\n")).toContain("not a Keel credentials file");
    expect(() => writeCredential(dir.path, "openai:a", "sk-4")).toThrow(/move it away/);
  });
});

describe("providerCredentials", () => {
  const secrets = (keys: Record<string, string>) => ({
    keys: new Map(Object.entries(keys).map(([id, key]) => [id, { key, source: { kind: "file" as const } }])),
    warnings: [],
  });
  const profiles = {
    "openai:b": { provider: "openai", mode: "api_key" as const },
    "openai:a": { provider: "openai", mode: "api_key" as const },
    "local:x": { provider: "local", mode: "api_key" as const },
  };
  const keys = secrets({ "openai:a": "sk-a", "openai:b": "sk-b" });

  it("puts the apiKey first, then the profiles with a key in config order", () => {
    const { credentials } = providerCredentials(
      "openai",
      providers.openai as never,
      { profiles, order: {} },
      keys,
    );
    expect(credentials).toEqual([
      { id: "openai:default", apiKey: "sk-config" },
      { id: "openai:b", apiKey: "sk-b" },
      { id: "openai:a", apiKey: "sk-a" },
    ]);
  });

  it("follows auth.order, with only the ids it lists", () => {
    const order = { openai: ["openai:a", "openai:default"] };
    const { credentials } = providerCredentials(
      "openai",
      providers.openai as never,
      { profiles, order },
      keys,
    );
    expect(credentials.map((c) => c.id)).toEqual(["openai:a", "openai:default"]);
  });

  it("a provider whose profiles all lack a key is unusable, saying how to fix it; one without auth sends none", () => {
    const r = providerCredentials("local", providers.local as never, { profiles, order: {} }, keys);
    expect(r.credentials).toEqual([]);
    expect(r.unusable).toMatch(/local:x.*keel auth add/);
    expect(providerCredentials("local", providers.local as never)).toEqual({
      credentials: [{ id: "local:default", apiKey: undefined }],
    });
  });
});
