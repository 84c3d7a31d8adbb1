// The hooks section's own checks: each problem named by its path, all of them disabling hooks
// alone (the load succeeds), and the state a swapped config carries.
import { describe, expect, it } from "vitest";
import { hooksStateOf, loadConfig } from "../../src/config/load.js";

const T = "tok";
const load = (hooks: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  loadConfig({ path: "/x", env: {}, raw: { hooks, ...extra } });
const problemPaths = (hooks: Record<string, unknown>, extra?: Record<string, unknown>) =>
  load(hooks, extra).sections.hooks.problems.map((p) => p.path);

describe("hooks section checks", () => {
  it("names each problem by its path, and only disables hooks", () => {
    const m = (over: Record<string, unknown>) => ({ name: "m", messageTemplate: "{{body}}", ...over });
    const cases: [Record<string, unknown>, string][] = [
      [{ enabled: true }, "hooks.token"],
      [{ enabled: true, token: T, path: "/a//b" }, "hooks.path"],
      [{ token: T, allowRequestSessionKey: true }, "hooks.allowedSessionKeyPrefixes"],
      [{ token: T, allowedSessionKeyPrefixes: ["cron:"] }, "hooks.allowedSessionKeyPrefixes.0"],
      [{ token: T, defaultSessionKey: "subagent:x" }, "hooks.defaultSessionKey"],
      [{ token: T, defaultSessionKey: "hook:{{body.id}}" }, "hooks.defaultSessionKey"],
      [{ token: T, allowedAgentIds: ["ghost"] }, "hooks.allowedAgentIds.0"],
      [{ token: T, mappings: [m({ name: "wake" })] }, "hooks.mappings.0.name"],
      [{ token: T, mappings: [m({}), m({})] }, "hooks.mappings.1.name"],
      [{ token: T, mappings: [m({ messageTemplate: "{{body.x" })] }, "hooks.mappings.0.messageTemplate"],
      [{ token: T, mappings: [m({ messageTemplate: "{{env.HOME}}" })] }, "hooks.mappings.0.messageTemplate"],
      [{ token: T, mappings: [m({ sessionKey: "acp:x" })] }, "hooks.mappings.0.sessionKey"],
      [{ token: T, mappings: [m({ agentId: "ghost" })] }, "hooks.mappings.0.agentId"],
      [
        { token: T, allowedAgentIds: ["main"], mappings: [m({ agentId: "ops" })] },
        "hooks.mappings.0.agentId",
      ],
      [{ token: T, mappings: [m({ signature: { header: "X-Sig" } })] }, "hooks.mappings.0.signature.secret"],
      [{ token: T, mappings: [m({ action: "run" })] }, "hooks.mappings.0.action"],
      [{ token: T, mappings: [m({ model: "no-such-/" })] }, "hooks.mappings.0.model"],
    ];
    for (const [hooks, path] of cases) {
      const r = load(hooks, { agents: { entries: { ops: {} } } });
      expect(
        r.sections.hooks.problems.map((p) => p.path),
        JSON.stringify(hooks),
      ).toContain(path);
      expect(r.hooks).toMatchObject({ state: "disabled", reason: expect.stringContaining(path) });
      expect(r.config.hooks.mappings).toEqual([]);
    }
  });

  it("a secret's bad value is never quoted in the reason (it is served with every 503)", () => {
    const r = load({ enabled: true, token: 918273645 });
    expect(r.hooks).toMatchObject({ state: "disabled", reason: expect.stringContaining("hooks.token") });
    expect(JSON.stringify(r.hooks)).not.toContain("918273645");
  });

  it("a valid section is ready (or off), with no problems", () => {
    expect(
      problemPaths({
        enabled: true,
        token: T,
        allowRequestSessionKey: true,
        allowedSessionKeyPrefixes: ["hook:gh:", "crm:"],
        mappings: [
          {
            name: "gh",
            messageTemplate: "{{body.a[0].b}} {{headers.x-y}}",
            sessionKey: "hook:gh:{{body.id}}",
          },
          { name: "n", action: "wake", messageTemplate: "x", sessionKey: "hook:static" },
        ],
      }),
    ).toEqual([]);
    expect(load({ enabled: true, token: T }).hooks).toEqual({ state: "ready" });
    expect(load({}).hooks).toEqual({ state: "off" });
  });

  it("a disabled section answers on its configured path when that path itself is valid", () => {
    expect(load({ enabled: true, path: "/in" }).hooks).toMatchObject({ state: "disabled", path: "/in" });
    expect(load({ enabled: true, path: "/" }).hooks).toMatchObject({ state: "disabled", path: "/hooks" });
  });

  it("hooksStateOf gives a loaded config's verdict to whoever holds only the config", () => {
    const bad = load({ enabled: true });
    expect(hooksStateOf(bad.config)).toBe(bad.hooks);
    const good = load({ enabled: true, token: T });
    expect(hooksStateOf(good.config)).toEqual({ state: "ready" });
    // A config not made by the loader: decided by hooks.enabled alone.
    expect(hooksStateOf(structuredClone(bad.config))).toEqual({ state: "off" });
  });
});
