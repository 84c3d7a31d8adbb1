// Hot reload of the config file: edits in place and by rename are applied, invalid ones refused whole,
// restart keys reported as pending, and a run keeps the config it started with.
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeCredential } from "../../src/config/credentials.js";
import { type FakeScript, step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { merge } from "../helpers/gateway.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient, type TestSocket } from "../helpers/ws.js";

const ADMIN = { scopes: ["operator.admin"] };

/** A gateway started from a real, watched config file, on a fake vendor following `script`. */
async function watchedGateway(script: FakeScript, config: Record<string, unknown> = {}) {
  const gw = await gatewayWithFakeVendor(script, { config, start: { configFile: true } });
  const path = join(gw.stateDir, "keel.json");
  /** Rewrites the file in place with `change` merged over the config the gateway started with. */
  const edit = (change: Record<string, unknown>) =>
    writeFileSync(path, JSON.stringify(merge(gw.config, change), null, 2));
  return Object.assign(gw, { path, edit });
}

async function systemPromptOf(s: TestSocket): Promise<string> {
  return (await s.request("config.get", {})).payload.config.agents.defaults.systemPrompt;
}

async function lastReload(s: TestSocket) {
  return (await s.request("status", {})).payload.config.lastReload;
}

describe("config reload", () => {
  it("applies an edit to the next turn while the active run finishes on the config it started with", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const script: FakeScript = (req) =>
      req.index === 0 ? step.reply("old reply", { gate }) : step.reply("new");
    await using gw = await watchedGateway(script, { agents: { defaults: { systemPrompt: "before" } } });
    await using s = await openClient(gw.url, ADMIN);

    await s.request("chat.send", { sessionKey: "a", message: "one", idempotencyKey: "r-1" });
    await s.next((f) => f.event === "chat" && f.payload.runId === "r-1" && f.payload.state === "delta");
    const before = (await s.request("config.get", {})).payload;

    gw.edit({ agents: { defaults: { systemPrompt: "after" } } });
    await eventually(async () => expect(await systemPromptOf(s)).toBe("after"), {
      message: "the edit to be live",
    });
    const after = (await s.request("config.get", {})).payload;
    expect(after.hash).not.toBe(before.hash);
    expect(after.effectiveHash).not.toBe(before.effectiveHash);
    expect(await lastReload(s)).toMatchObject({ ok: true, trigger: "watch", problems: [] });

    await s.request("chat.send", { sessionKey: "b", message: "two", idempotencyKey: "r-2" });
    await s.next((f) => f.event === "chat" && f.payload.runId === "r-2" && f.payload.state === "final");
    expect(gw.fake.requests[1]?.body.messages[0]).toEqual({ role: "system", content: "after" });

    // The first run was never disturbed: it ends normally with its text, on its old prompt.
    release();
    const final = await s.next(
      (f) => f.event === "chat" && f.payload.runId === "r-1" && f.payload.state === "final",
    );
    expect(final.payload.message.content[0].text).toBe("old reply");
    expect(gw.fake.requests[0]?.body.messages[0]).toEqual({ role: "system", content: "before" });
  });

  it("refuses an invalid edit as a whole, names every path, and applies a later valid one", async () => {
    await using gw = await watchedGateway([], { agents: { defaults: { systemPrompt: "good" } } });
    await using s = await openClient(gw.url, ADMIN);
    const goodHash = (await s.request("config.get", {})).payload.effectiveHash;

    gw.edit({
      agents: { defaults: { systemPrompt: "half applied?", timeoutSeconds: 0 } },
      runs: { maxConcurrent: "many" },
    });
    const rejected = await eventually(
      async () => {
        const r = await lastReload(s);
        expect(r.ok).toBe(false);
        return r;
      },
      { message: "the invalid edit to be rejected" },
    );
    expect(rejected.problems.map((p: { path: string }) => p.path).sort()).toEqual([
      "agents.defaults.timeoutSeconds",
      "runs.maxConcurrent",
    ]);
    const got = (await s.request("config.get", {})).payload;
    expect(got.effectiveHash).toBe(goodHash);
    expect(got.config.agents.defaults.systemPrompt).toBe("good");
    await s.request("chat.send", { sessionKey: "a", message: "hi", idempotencyKey: "i-1" });
    await s.next((f) => f.event === "chat" && f.payload.runId === "i-1" && f.payload.state === "final");
    expect(gw.fake.requests[0]?.body.messages[0]).toEqual({ role: "system", content: "good" });

    gw.edit({ agents: { defaults: { systemPrompt: "fixed" } } });
    await eventually(async () => expect(await systemPromptOf(s)).toBe("fixed"));
    expect(await lastReload(s)).toMatchObject({ ok: true, problems: [] });
  });

  it("picks up saves that write a new file and rename it over the config, more than once", async () => {
    await using gw = await watchedGateway([]);
    await using s = await openClient(gw.url, ADMIN);
    for (const prompt of ["renamed once", "renamed twice"]) {
      const tmp = join(gw.stateDir, "keel.json.swp");
      writeFileSync(
        tmp,
        JSON.stringify(merge(gw.config, { agents: { defaults: { systemPrompt: prompt } } })),
      );
      renameSync(tmp, gw.path);
      await eventually(async () => expect(await systemPromptOf(s)).toBe(prompt), {
        message: `the rename-save "${prompt}" to be live`,
      });
    }
  });

  it("reports a changed restart key as pending and keeps its running value; hot keys in the same edit apply", async () => {
    await using gw = await watchedGateway([]);
    await using s = await openClient(gw.url, ADMIN);
    gw.edit({
      gateway: { tickIntervalMs: 5_000 },
      logging: { level: "debug" },
      runs: { maxQueuePerSession: 3 },
    });
    const status = await eventually(
      async () => {
        const st = (await s.request("status", {})).payload;
        expect(st.config.pendingRestart).toEqual(["gateway.tickIntervalMs", "logging.level"]);
        return st;
      },
      { message: "the restart keys to be reported" },
    );
    expect(status.config.lastReload.ok).toBe(true);
    const { config } = (await s.request("config.get", {})).payload;
    expect(config.gateway.tickIntervalMs).toBe(30_000);
    expect(config.logging.level).toBe("info");
    expect(config.runs.maxQueuePerSession).toBe(3);

    // Editing the keys back clears the list: nothing waits for a restart any more.
    gw.edit({ runs: { maxQueuePerSession: 4 } });
    await eventually(async () =>
      expect((await s.request("status", {})).payload.config.pendingRestart).toEqual([]),
    );
  });

  it("watches nothing with gateway.reload.mode off, and starts once an applied edit turns it on", async () => {
    await using gw = await watchedGateway([], { gateway: { reload: { mode: "off" } } });
    await using s = await openClient(gw.url, ADMIN);
    expect(gw.handle.configFile.watching).toBe(false);
    gw.edit({ gateway: { reload: { mode: "hot" } } });
    // With no watcher, only an explicit read applies it (as config.patch would).
    gw.handle.configFile.reloadFromDisk("watch");
    expect(gw.handle.configFile.watching).toBe(true);
    gw.edit({ gateway: { reload: { mode: "hot" } }, agents: { defaults: { systemPrompt: "seen" } } });
    await eventually(async () => expect(await systemPromptOf(s)).toBe("seen"));
  });
  it("an edit invalid only in hooks applies the rest and disables hooks; fixing hooks enables them again", async () => {
    await using gw = await watchedGateway([]);
    await using s = await openClient(gw.url, ADMIN);
    const hooksState = async () => (await s.request("status", {})).payload.subsystems.hooks;
    expect(await hooksState()).toEqual({ state: "off" });

    gw.edit({ hooks: { path: "/" }, agents: { defaults: { systemPrompt: "rest applied" } } });
    await eventually(async () => expect(await systemPromptOf(s)).toBe("rest applied"));
    const reload = await lastReload(s);
    expect(reload.ok).toBe(true);
    expect(reload.problems.map((p: { path: string }) => p.path)).toEqual(["hooks.path"]);
    expect(await hooksState()).toMatchObject({
      state: "disabled",
      reason: expect.stringContaining("hooks.path"),
    });
    const health = (await s.request("health", {})).payload;
    expect(health.subsystems.hooks.state).toBe("disabled");
    expect((await s.request("config.get", {})).payload.issues.map((p: { path: string }) => p.path)).toEqual([
      "hooks.path",
    ]);

    gw.edit({ agents: { defaults: { systemPrompt: "hooks fixed" } } });
    await eventually(async () => expect(await systemPromptOf(s)).toBe("hooks fixed"));
    expect(await hooksState()).toEqual({ state: "off" });
    expect((await lastReload(s)).problems).toEqual([]);
  });
  it("webhooks follow file edits: invalid → 503 with the reason, valid → served, invalid again → 503", async () => {
    await using gw = await watchedGateway([]);
    await using s = await openClient(gw.url, ADMIN);
    const wake = () =>
      fetch(`http://127.0.0.1:${gw.port}/hooks/wake`, {
        method: "POST",
        headers: { authorization: "Bearer hook-secret-0123456789", "content-type": "application/json" },
        body: JSON.stringify({ text: "ping" }),
      });
    const hooksState = async () => (await s.request("status", {})).payload.subsystems.hooks;

    gw.edit({ hooks: { enabled: true } });
    await eventually(async () => expect((await hooksState()).state).toBe("disabled"));
    const refused = await wake();
    expect(refused.status).toBe(503);
    expect(await refused.text()).toContain("hooks.token");

    gw.edit({ hooks: { enabled: true, token: "hook-secret-0123456789" } });
    await eventually(async () => expect((await hooksState()).state).not.toBe("disabled"), {
      message: "the fixed hooks section to be live",
    });
    expect((await wake()).status).toBe(200);

    gw.edit({ hooks: { enabled: true, token: "hook-secret-0123456789", path: "/" } });
    await eventually(async () => expect((await hooksState()).state).toBe("disabled"));
    expect((await wake()).status).toBe(503);
  });

  it("an added auth profile's key (from credentials.json) is used by the next turn", async () => {
    await using gw = await watchedGateway([]);
    await using s = await openClient(gw.url, ADMIN);
    const turn = async (id: string) => {
      await s.request("chat.send", { sessionKey: id, message: "hi", idempotencyKey: id });
      await s.next((f) => f.event === "chat" && f.payload.runId === id && f.payload.state === "final");
      return gw.fake.requests.at(-1)?.headers.authorization;
    };
    expect(await turn("au-1")).toBeUndefined();
    writeCredential(gw.stateDir, "mock:team", "sk-team-key");
    gw.edit({ auth: { profiles: { "mock:team": { provider: "mock", mode: "api_key" } } } });
    await eventually(async () =>
      expect((await s.request("config.get", {})).payload.config.auth.profiles).toHaveProperty("mock:team"),
    );
    expect((await s.request("status", {})).payload.config.pendingRestart).toEqual([]);
    expect(await turn("au-2")).toBe("Bearer sk-team-key");
  });
});
