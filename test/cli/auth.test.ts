// `keel auth add|list`, and a gateway running on profile keys (keyEnv, credentials.json) that never shows them:
// not in its log file, config.get, status, health, models, chat.history, error details or `keel auth list`.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeCredential } from "../../src/config/credentials.js";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { spawnGateway, tempDir } from "../helpers/process.js";
import { keel, keelInteractive } from "./run.js";

const FILE_KEY = "sk-file-secret-7f3a9c1e";
const ENV_KEY = "sk-env-secret-42d8b0aa";

describe("keel auth add", () => {
  it("stores a piped key 0600 under its profile id, says when the config lacks the profile, and never prints it", async () => {
    using dir = tempDir();
    await using child = keelInteractive(["auth", "add", "openai:work", "--state-dir", dir.path]);
    child.child.stdin!.end(`${FILE_KEY}\n`);
    expect((await child.exited).code).toBe(0);
    const path = join(dir.path, "credentials.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, "utf8")).profiles["openai:work"].key).toBe(FILE_KEY);
    expect(child.stdout()).toContain("stored the key of openai:work");
    expect(child.stdout()).toContain('"openai:work": { provider: "openai", mode: "api_key" }');
    expect(child.stdout() + child.stderr()).not.toContain(FILE_KEY);
  });

  it("--key-env reads the variable; a bad id, an unset variable or an empty key is a usage error", async () => {
    using dir = tempDir();
    const ok = await keel(
      ["auth", "add", "openai:ci", "--key-env", "CI_OPENAI_KEY", "--state-dir", dir.path],
      {
        CI_OPENAI_KEY: ENV_KEY,
      },
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain(ENV_KEY);
    expect(
      JSON.parse(readFileSync(join(dir.path, "credentials.json"), "utf8")).profiles["openai:ci"].key,
    ).toBe(ENV_KEY);
    const again = await keel(
      ["auth", "add", "openai:ci", "--key-env", "CI_OPENAI_KEY", "--state-dir", dir.path],
      {
        CI_OPENAI_KEY: "sk-rotated",
      },
    );
    expect(again.stdout).toContain("replaced the key of openai:ci");
    expect((await keel(["auth", "add", "no-colon", "--state-dir", dir.path])).code).toBe(2);
    expect(
      (await keel(["auth", "add", "openai:x", "--key-env", "UNSET_VAR_X", "--state-dir", dir.path])).code,
    ).toBe(2);
    await using empty = keelInteractive(["auth", "add", "openai:x", "--state-dir", dir.path]);
    empty.child.stdin!.end("\n");
    expect((await empty.exited).code).toBe(2);
  });
});

describe("a gateway on profile keys", () => {
  it("sends the credentials.json key, and no surface, log line or error shows either key", async () => {
    await using fake = await startFakeOpenAI({ apiKey: FILE_KEY, models: ["mock-model"] });
    const config = {
      models: { providers: { mock: { baseUrl: fake.url, models: [{ id: "mock-model" }] } } },
      agents: { defaults: { model: "mock/mock-model" } },
      auth: {
        profiles: {
          "mock:file": { provider: "mock", mode: "api_key" },
          "mock:env": { provider: "mock", mode: "api_key", keyEnv: "MOCK_PROFILE_KEY" },
        },
        order: { mock: ["mock:file", "mock:env"] },
      },
      logging: { level: "trace" },
    };
    await using gw = await spawnGateway([], config, {
      env: { MOCK_PROFILE_KEY: ENV_KEY },
      prepare: (stateDir) => writeCredential(stateDir, "mock:file", FILE_KEY),
    });
    const ok = await keel(["agent", "-m", "hello", "--json"], gw.env);
    expect(ok.code).toBe(0);
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${FILE_KEY}`);

    // A failing turn: the vendor's 401 becomes an error with details; none of it may carry a key.
    fake.setScript([{ type: "status", status: 401, body: { error: { message: `bad key ${FILE_KEY}` } } }]);
    const failed = await keel(["agent", "-m", "again", "--json"], gw.env);
    expect(failed.code).toBe(1);

    const outputs = [ok.stdout, failed.stdout, failed.stderr];
    for (const args of [
      ["gateway", "call", "config.get"],
      ["gateway", "call", "status"],
      ["gateway", "call", "health"],
      ["gateway", "call", "models.list"],
      ["gateway", "call", "chat.history", "--params", '{"sessionKey":"main"}'],
      ["auth", "list", "--json", "--state-dir", gw.stateDir],
    ]) {
      const r = await keel(args, { ...gw.env, MOCK_PROFILE_KEY: ENV_KEY });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      outputs.push(r.stdout, r.stderr);
    }
    const list = JSON.parse(outputs.at(-2)!) as {
      credentials: { id: string; source: string; present: boolean }[];
    };
    expect(list.credentials.map((c) => [c.id, c.source, c.present])).toEqual([
      ["mock:file", "credentials.json", true],
      ["mock:env", "env MOCK_PROFILE_KEY", true],
    ]);
    expect(outputs.join("\n")).toContain("mock-model");
    const log = readFileSync(join(gw.stateDir, "logs", "keel.log"), "utf8");
    expect(log).toContain("run failed (auth)");
    for (const text of [...outputs, log, gw.output()]) {
      expect(text).not.toContain(FILE_KEY);
      expect(text).not.toContain(ENV_KEY);
    }
  });

  it("keel auth list shows where each key comes from and which are missing, never a key", async () => {
    using dir = tempDir();
    writeFileSync(
      join(dir.path, "keel.json"),
      JSON.stringify({
        models: { providers: { openai: { baseUrl: "http://127.0.0.1:9/v1", apiKey: FILE_KEY } } },
        auth: {
          profiles: {
            "openai:env": { provider: "openai", mode: "api_key", keyEnv: "UNSET_IN_TEST" },
            "openai:file": { provider: "openai", mode: "api_key" },
          },
        },
      }),
    );
    writeCredential(dir.path, "openai:stray", ENV_KEY);
    const r = await keel(["auth", "list", "--state-dir", dir.path]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.find((l) => l.startsWith("openai:default"))).toContain("models.providers.openai.apiKey");
    expect(lines.find((l) => l.startsWith("openai:env"))).toContain(
      "env UNSET_IN_TEST (not set in this shell)",
    );
    expect(lines.find((l) => l.startsWith("openai:file"))).toContain(
      "missing: run keel auth add openai:file",
    );
    expect(lines.find((l) => l.startsWith("openai:stray"))).toContain("no profile in the config uses it");
    expect(r.stdout).not.toContain(FILE_KEY);
    expect(r.stdout).not.toContain(ENV_KEY);
  });
});
