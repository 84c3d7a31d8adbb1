// Cooldown math on an injected clock: steps per kind, Retry-After caps, half-open probes, scopes, bounds.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import {
  cooldownSettings,
  type CooldownEntry,
  type CooldownPort,
  Cooldowns,
  type CooldownTarget,
  DEFAULT_COOLDOWN_SETTINGS,
} from "../../src/models/cooldowns.js";

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const target = (over: Partial<CooldownTarget> = {}): CooldownTarget => ({
  provider: "p",
  model: "m",
  credentialId: "p:default",
  apiKey: "sk-secret-one",
  endpoint: "http://127.0.0.1:1/v1",
  ...over,
});

function setup(settings: Partial<typeof DEFAULT_COOLDOWN_SETTINGS> = {}) {
  const c = clock();
  const cd = new Cooldowns({ now: c.now, settings: () => ({ ...DEFAULT_COOLDOWN_SETTINGS, ...settings }) });
  return { c, cd };
}

describe("Cooldowns", () => {
  it("rate limits step 10 s → 30 s → 1 min → 5 min (the last repeats) and a success resets the steps", () => {
    const { c, cd } = setup();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const e = cd.failure(target(), "rate_limit", undefined, [])!;
      seen.push(e.until - c.now());
      c.advance(e.until - c.now());
    }
    expect(seen).toEqual([10_000, 30_000, 60_000, 300_000, 300_000]);
    cd.success(target());
    expect(cd.failure(target(), "rate_limit", undefined, [])!.until - c.now()).toBe(10_000);
  });

  it("a Retry-After hint replaces the step, capped; a later shorter hint never shortens it", () => {
    const { c, cd } = setup({ maxRetryAfterMs: 120_000 });
    expect(cd.failure(target(), "rate_limit", 45_000, [])!.until - c.now()).toBe(45_000);
    expect(cd.failure(target(), "rate_limit", 1_000, [])!.until - c.now()).toBe(45_000);
    expect(cd.failure(target(), "rate_limit", 900_000, [])!.until - c.now()).toBe(120_000);
  });

  it("billing cools the whole credential for 5 h, then 24 h; a replaced key is not held by it", () => {
    const { c, cd } = setup();
    expect(cd.failure(target(), "billing", undefined, [])!.until - c.now()).toBe(5 * 3_600_000);
    expect(cd.admit(target({ model: "other" }))).toMatchObject({ admitted: false, kind: "billing" });
    expect(cd.admit(target({ apiKey: "sk-new-key" }))).toEqual({ admitted: true, probes: [] });
    c.advance(5 * 3_600_000);
    cd.admit(target());
    expect(cd.failure(target(), "billing", undefined, [])!.until - c.now()).toBe(24 * 3_600_000);
    expect(JSON.stringify(cd.entries())).not.toContain("sk-secret-one");
  });

  it("auth cools the credential, rate_limit only that model, network the endpoint for every credential", () => {
    const { cd } = setup();
    cd.failure(target(), "rate_limit", undefined, []);
    expect(cd.admit(target()).admitted).toBe(false);
    expect(cd.admit(target({ model: "m2" })).admitted).toBe(true);
    cd.failure(target({ credentialId: "p:2", apiKey: "k2" }), "auth", undefined, []);
    expect(cd.admit(target({ credentialId: "p:2", apiKey: "k2", model: "m2" })).admitted).toBe(false);
    cd.failure(target({ provider: "q", endpoint: "http://e" }), "network", undefined, []);
    const other = target({ provider: "q", endpoint: "http://e", credentialId: "q:2", model: "x" });
    expect(cd.admit(other)).toMatchObject({ admitted: false, kind: "network" });
  });

  it("404s, context and request errors cool nothing; server errors only from the 3rd in a row", () => {
    const { cd } = setup();
    for (const kind of ["model_not_found", "endpoint_not_found", "context_length", "bad_request"] as const) {
      expect(cd.failure(target(), kind, undefined, [])).toBeUndefined();
    }
    expect(cd.admit(target()).admitted).toBe(true);
    expect(cd.failure(target(), "server_error", undefined, [])).toBeUndefined();
    expect(cd.failure(target(), "server_error", undefined, [])).toBeUndefined();
    expect(cd.admit(target()).admitted).toBe(true);
    expect(cd.failure(target(), "server_error", undefined, [])!.until).toBeGreaterThan(0);
    expect(cd.admit(target()).admitted).toBe(false);
  });

  it("half-open: at expiry one attempt probes, the rest wait; failure re-opens with the next step", () => {
    const { c, cd } = setup();
    cd.failure(target(), "timeout", undefined, []);
    c.advance(30_000);
    const probe = cd.admit(target());
    expect(probe).toEqual({ admitted: true, probes: [expect.stringContaining("cm|")] });
    expect(cd.admit(target()).admitted).toBe(false);
    expect(cd.entries()[0]?.state).toBe("probing");
    const reopened = cd.failure(target(), "timeout", undefined, probe.admitted ? probe.probes : []);
    expect(reopened!.until - c.now()).toBe(60_000);
    c.advance(60_000);
    expect(cd.admit(target()).admitted).toBe(true);
    cd.success(target());
    expect(cd.entries()).toEqual([]);
    expect(cd.admit(target())).toEqual({ admitted: true, probes: [] });
  });

  it("is bounded: past maxEntries the oldest goes, and an entry is forgotten ttlMs after it expired", () => {
    const { c, cd } = setup({ maxEntries: 16, ttlMs: 5_000 });
    for (let i = 0; i < 20; i++) cd.failure(target({ model: `m${i}` }), "rate_limit", undefined, []);
    expect(cd.size).toBe(16);
    expect(cd.admit(target({ model: "m0" })).admitted).toBe(true);
    c.advance(10_000 + 5_000);
    expect(cd.entries()).toEqual([]);
    expect(cd.failure(target({ model: "m19" }), "rate_limit", undefined, [])!.until - c.now()).toBe(10_000);
  });

  it("the config defaults are the documented steps (models.cooldowns), and a config change applies at once", () => {
    const raw = { models: { cooldowns: { rateLimitStepsMs: [500, 1_000] } } };
    const defaults = cooldownSettings(loadConfig({ path: "/nonexistent", raw: {}, env: {} }).config);
    expect(defaults).toEqual(DEFAULT_COOLDOWN_SETTINGS);
    const custom = cooldownSettings(loadConfig({ path: "/nonexistent", raw, env: {} }).config);
    const c = clock();
    const cd = new Cooldowns({ now: c.now, settings: () => custom });
    expect(cd.failure(target(), "overloaded", undefined, [])!.until - c.now()).toBe(500);
  });

  it("writes through its port and restores from it", async () => {
    const saved = new Map<string, CooldownEntry>();
    const port: CooldownPort = {
      load: async () => [...saved.values()],
      save: (e) => saved.set(e.key, { ...e }),
      remove: (k) => saved.delete(k),
    };
    const c = clock();
    new Cooldowns({ now: c.now, port }).failure(target(), "auth", undefined, []);
    const restored = new Cooldowns({ now: c.now, port });
    await restored.restore();
    expect(restored.admit(target())).toMatchObject({ admitted: false, kind: "auth" });
  });
});
