// Stability §3: a bad hooks section disables hooks as a whole (503 with the reason, health and
// status say why) while the gateway, chat and every method keep working; anything else stays fatal.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load.js";
import { step } from "../fixtures/fake-openai.js";
import { merge } from "../helpers/gateway.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient } from "../helpers/ws.js";
import { bearer, HOOK_TOKEN, hooksOn, post } from "./helpers.js";

const BAD: {
  name: string;
  hooks: Record<string, unknown>;
  env?: Record<string, string>;
  path: string;
  at: string;
}[] = [
  { name: "enabled without a token", hooks: { enabled: true }, path: "hooks.token", at: "/hooks" },
  {
    name: 'path "/"',
    hooks: { enabled: true, token: HOOK_TOKEN, path: "/" },
    path: "hooks.path",
    at: "/hooks",
  },
  {
    name: "an unset ${VAR}",
    hooks: { enabled: true, token: "${KEEL_TEST_UNSET_HOOK_TOKEN}", path: "/in" },
    path: "hooks.token",
    at: "/in",
  },
  {
    name: "one bad mapping (templated sessionKey without the allowlist)",
    hooks: {
      enabled: true,
      token: HOOK_TOKEN,
      mappings: [
        { name: "ok", messageTemplate: "{{body.x}}" },
        { name: "gh", messageTemplate: "{{body.x}}", sessionKey: "gh:{{body.id}}" },
      ],
    },
    path: "hooks.mappings.1.sessionKey",
    at: "/hooks",
  },
  {
    name: "a mapping with an unknown template expression",
    hooks: { enabled: true, token: HOOK_TOKEN, mappings: [{ name: "m", messageTemplate: "{{query.x}}" }] },
    path: "hooks.mappings.0.messageTemplate",
    at: "/hooks",
  },
];

describe("a bad hooks section (seed rule)", () => {
  for (const bad of BAD) {
    it(`${bad.name}: gateway ready, chat works, hooks 503 naming ${bad.path}, health and status say why`, async () => {
      await using gw = await gatewayWithFakeVendor(() => step.reply("still chatting"), {
        config: { hooks: bad.hooks },
      });
      expect(gw.loaded.hooks).toMatchObject({ state: "disabled" });
      await using s = await openClient(gw.url, { scopes: ["operator.read", "operator.write"] });
      await s.request("chat.send", { sessionKey: "main", message: "hi", idempotencyKey: "seed-1" });
      const final = await s.next((f) => f.event === "chat" && f.payload.state === "final");
      expect(final.payload.message.content[0].text).toBe("still chatting");

      for (const route of ["wake", "agent", "anything"]) {
        const res = await post(gw.port, `${bad.at}/${route}`, { text: "x", message: "x" }, bearer);
        expect(res.status).toBe(503);
        expect(res.body.ok).toBe(false);
        expect(res.body.error).toContain(bad.path);
      }
      const health = (await s.request("health")).payload;
      expect(health.ok).toBe(true);
      expect(health.subsystems.hooks.state).toBe("disabled");
      expect(health.subsystems.hooks.reason).toContain(bad.path);
      const status = (await s.request("status")).payload;
      expect(status.subsystems.hooks).toEqual(health.subsystems.hooks);
      // Nothing hook-related ran: the vendor saw the chat turn only.
      expect(gw.fake.requests).toHaveLength(1);
    });
  }

  it("an invalid section other than hooks stays fatal, listing the hooks problems beside it", () => {
    const raw = { hooks: { enabled: true }, runs: { maxConcurrent: 0 } };
    let err: unknown;
    try {
      loadConfig({ path: "/nonexistent", raw, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.path)).toEqual(["runs.maxConcurrent"]);
  });

  it("hooks.enabled false is off: no routes under the path, health shows off", async () => {
    await using gw = await gatewayWithFakeVendor([], {
      config: { hooks: { enabled: false, token: HOOK_TOKEN } },
    });
    expect((await post(gw.port, "/hooks/agent", { message: "x" }, bearer)).status).toBe(404);
    expect(gw.handle.subsystems.get("hooks")).toEqual({ state: "off" });
  });

  it("a swapped config (what a reload does) disables and re-enables hooks the same way", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok"), { config: hooksOn() });
    const load = (over: Record<string, unknown>) =>
      loadConfig({ path: "/nonexistent", env: {}, raw: merge(gw.config, over) }).config;
    expect((await post(gw.port, "/hooks/agent", { message: "a", wait: true }, bearer)).status).toBe(200);

    gw.handle.config.swap(load({ hooks: { token: "${KEEL_TEST_UNSET_HOOK_TOKEN}" } }));
    const off = await post(gw.port, "/hooks/agent", { message: "b" }, bearer);
    expect(off.status).toBe(503);
    expect(off.body.error).toContain("hooks.token");
    expect(gw.handle.subsystems.get("hooks")).toMatchObject({ state: "disabled" });

    gw.handle.config.swap(load({ hooks: { path: "/moved" } }));
    expect(gw.handle.subsystems.get("hooks")).toEqual({ state: "ready" });
    expect((await post(gw.port, "/moved/agent", { message: "c", wait: true }, bearer)).status).toBe(200);
    expect((await post(gw.port, "/hooks/agent", { message: "d" }, bearer)).status).toBe(404);
  });
});
