// config.patch / config.apply: baseHash guards the file, invalid edits leave it untouched, and an
// accepted one is written atomically and applied through the reload path.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileHash } from "../../src/config/load.js";
import { startGateway, TEST_TOKEN } from "../helpers/gateway.js";
import { openClient } from "../helpers/ws.js";

const ADMIN = { scopes: ["operator.admin"] };

async function watchedGateway(config: Record<string, unknown> = {}) {
  const gw = await startGateway({ config, configFile: true });
  return Object.assign(gw, { path: join(gw.stateDir, "keel.json") });
}

describe("config.patch and config.apply", () => {
  it("refuses a stale baseHash and applies a merge patch with the file's current hash", async () => {
    await using gw = await watchedGateway({
      agents: { defaults: { systemPrompt: "one" } },
      runs: { maxQueuePerSession: 5 },
    });
    await using s = await openClient(gw.url, ADMIN);
    const got = (await s.request("config.get", {})).payload;
    expect(got.hash).toBe(fileHash(readFileSync(gw.path)));

    // Someone else edits the file after our read: our hash is stale now.
    writeFileSync(gw.path, readFileSync(gw.path, "utf8").replace('"one"', '"two"'));
    const stale = await s.request("config.patch", {
      patch: { agents: { defaults: { systemPrompt: "mine" } } },
      baseHash: got.hash,
    });
    expect(stale.error).toMatchObject({
      code: "INVALID_REQUEST",
      details: { code: "BASE_HASH_MISMATCH", hash: fileHash(readFileSync(gw.path)) },
    });
    expect(readFileSync(gw.path, "utf8")).toContain('"two"');

    const res = await s.request("config.patch", {
      patch: { agents: { defaults: { systemPrompt: "mine" } }, runs: { maxQueuePerSession: null } },
      baseHash: stale.error.details.hash,
    });
    expect(res.ok).toBe(true);
    const written = JSON.parse(readFileSync(gw.path, "utf8"));
    expect(written.agents.defaults.systemPrompt).toBe("mine");
    expect(written.runs).toEqual({}); // null removed the key: back to its default
    expect(written.gateway.auth.token).toBe(TEST_TOKEN); // untouched keys stay
    expect(res.payload.hash).toBe(fileHash(readFileSync(gw.path)));
    const now = (await s.request("config.get", {})).payload;
    expect(now.config.agents.defaults.systemPrompt).toBe("mine");
    expect(now.config.runs.maxQueuePerSession).toBe(16);
    expect(now.hash).toBe(res.payload.hash);
    expect(now.effectiveHash).toBe(res.payload.effectiveHash);
    const status = (await s.request("status", {})).payload.config;
    expect(status.lastReload).toMatchObject({ ok: true, trigger: "config.patch" });
    // No temp file is left beside the config, and the file keeps its mode.
    expect(readdirSync(gw.stateDir).filter((f) => f.includes(".tmp"))).toEqual([]);
    expect(statSync(gw.path).mode & 0o777).toBe(0o600);
  });

  it("replaces the whole file with raw (JSON5 kept as sent), and config.apply does the same", async () => {
    await using gw = await watchedGateway();
    await using s = await openClient(gw.url, ADMIN);
    const raw = `// written by a test\n{ gateway: { port: 0, auth: { mode: "token", token: "${TEST_TOKEN}" } }, agents: { defaults: { systemPrompt: "raw" } } }\n`;
    const first = await s.request("config.patch", {
      raw,
      baseHash: (await s.request("config.get", {})).payload.hash,
    });
    expect(first.ok).toBe(true);
    expect(readFileSync(gw.path, "utf8")).toBe(raw);
    expect((await s.request("config.get", {})).payload.config.agents.defaults.systemPrompt).toBe("raw");

    const applied = await s.request("config.apply", {
      raw: raw.replace('"raw"', '"applied"'),
      baseHash: first.payload.hash,
    });
    expect(applied.ok).toBe(true);
    expect((await s.request("config.get", {})).payload.config.agents.defaults.systemPrompt).toBe("applied");
    expect((await s.request("status", {})).payload.config.lastReload.trigger).toBe("config.apply");
  });

  it("refuses an invalid result with every problem and leaves the file and the config as they were", async () => {
    await using gw = await watchedGateway();
    await using s = await openClient(gw.url, ADMIN);
    const before = readFileSync(gw.path, "utf8");
    const { hash, effectiveHash } = (await s.request("config.get", {})).payload;
    const res = await s.request("config.patch", {
      patch: { runs: { maxConcurrent: 0 }, agents: { nope: true } },
      baseHash: hash,
    });
    expect(res.error).toMatchObject({ code: "INVALID_REQUEST", details: { code: "INVALID_CONFIG" } });
    expect(res.error.details.problems.map((p: { path: string }) => p.path).sort()).toEqual([
      "agents.nope",
      "runs.maxConcurrent",
    ]);
    expect(readFileSync(gw.path, "utf8")).toBe(before);
    expect((await s.request("config.get", {})).payload.effectiveHash).toBe(effectiveHash);

    const both = await s.request("config.patch", { raw: "{}", patch: {}, baseHash: hash });
    expect(both.error).toMatchObject({ code: "INVALID_REQUEST" });
  });

  it("reports a restart key it wrote as pending, and needs operator.admin", async () => {
    await using gw = await watchedGateway();
    await using admin = await openClient(gw.url, ADMIN);
    const { hash } = (await admin.request("config.get", {})).payload;
    const res = await admin.request("config.patch", {
      patch: { logging: { level: "debug" } },
      baseHash: hash,
    });
    expect(res.payload.pendingRestart).toEqual(["logging.level"]);
    expect((await admin.request("status", {})).payload.config.pendingRestart).toEqual(["logging.level"]);

    await using writer = await openClient(gw.url, { scopes: ["operator.write"] });
    const refused = await writer.request("config.patch", { patch: {}, baseHash: res.payload.hash });
    expect(refused.error).toMatchObject({ code: "FORBIDDEN" });
  });

  it("is refused by a gateway started without a config file", async () => {
    await using gw = await startGateway();
    await using s = await openClient(gw.url, ADMIN);
    const { hash } = (await s.request("config.get", {})).payload;
    const res = await s.request("config.patch", { patch: {}, baseHash: hash });
    expect(res.error).toMatchObject({ code: "INVALID_REQUEST" });
    expect(res.error.message).toContain("without a config file");
  });
});
