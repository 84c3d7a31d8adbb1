// Which keys a reload may change in place: restart keys are found by the schema's marks, kept at
// their running values, and a reordered file changes nothing.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { changedKeys, changedRestartKeys, withRunningRestartKeys } from "../../src/config/restart-keys.js";

const load = (raw: Record<string, unknown>) => loadConfig({ path: "/nonexistent", env: {}, raw }).config;

describe("restart keys", () => {
  it("lists changed restart keys (leaves and optional secrets) and keeps their running values", () => {
    const running = load({ gateway: { port: 1000 }, agents: { defaults: { systemPrompt: "a" } } });
    const next = load({
      gateway: { port: 2000, auth: { password: "secret-pw" }, handshakeTimeoutMs: 5_000 },
      agents: { defaults: { systemPrompt: "b" } },
      session: { maintenance: { maxEntries: 7 } },
    });
    expect(changedRestartKeys(running, next)).toEqual([
      "gateway.port",
      "gateway.auth.password",
      "session.maintenance.maxEntries",
    ]);
    const effective = withRunningRestartKeys(running, next);
    expect(effective.gateway.port).toBe(1000);
    expect(effective.gateway.auth.password).toBeUndefined();
    expect(effective.session.maintenance.maxEntries).toBe(500);
    // Hot keys, including a hot key inside a restart section, take the new value.
    expect(effective.gateway.handshakeTimeoutMs).toBe(5_000);
    expect(effective.agents.defaults.systemPrompt).toBe("b");
    expect(Object.isFrozen(effective.gateway.auth)).toBe(true);
    expect(changedRestartKeys(effective, next)).toEqual(changedRestartKeys(running, next));
    expect(changedKeys(running, effective)).toEqual([
      "gateway.handshakeTimeoutMs",
      "agents.defaults.systemPrompt",
    ]);
  });

  it("sees no change in a file whose keys were only reordered", () => {
    const a = load({
      models: { providers: { x: { baseUrl: "http://a/v1" }, y: { baseUrl: "http://b/v1" } } },
    });
    const b = load({
      models: { providers: { y: { baseUrl: "http://b/v1" }, x: { baseUrl: "http://a/v1" } } },
    });
    expect(changedKeys(a, b)).toEqual([]);
  });
});
