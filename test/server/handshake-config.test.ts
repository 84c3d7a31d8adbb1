import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";

const load = (raw: Record<string, unknown>, env: Record<string, string> = {}) =>
  loadConfig({ path: "/nonexistent/keel.json", raw, env });

describe("handshake timeout resolution (stability §4)", () => {
  it("defaults to 15 s", () => {
    expect(load({}).config.gateway.handshakeTimeoutMs).toBe(15_000);
  });

  it("config file value applies; KEEL_HANDSHAKE_TIMEOUT_MS wins over it", () => {
    expect(load({ gateway: { handshakeTimeoutMs: 20_000 } }).config.gateway.handshakeTimeoutMs).toBe(20_000);
    const both = load({ gateway: { handshakeTimeoutMs: 20_000 } }, { KEEL_HANDSHAKE_TIMEOUT_MS: "30000" });
    expect(both.config.gateway.handshakeTimeoutMs).toBe(30_000);
    expect(both.warnings).toEqual([]);
  });

  it("clamps env values to [1 s, 120 s] with one warning", () => {
    const low = load({}, { KEEL_HANDSHAKE_TIMEOUT_MS: "200" });
    expect(low.config.gateway.handshakeTimeoutMs).toBe(1_000);
    expect(low.warnings).toHaveLength(1);
    expect(low.warnings[0]).toContain("KEEL_HANDSHAKE_TIMEOUT_MS");
    const high = load({}, { KEEL_HANDSHAKE_TIMEOUT_MS: "999999" });
    expect(high.config.gateway.handshakeTimeoutMs).toBe(120_000);
    expect(high.warnings).toHaveLength(1);
  });

  it("ignores a non-numeric or non-positive env value with one warning (config value stays)", () => {
    for (const bad of ["abc", "0", "-5", "1.5e3"]) {
      const r = load({ gateway: { handshakeTimeoutMs: 20_000 } }, { KEEL_HANDSHAKE_TIMEOUT_MS: bad });
      expect(r.config.gateway.handshakeTimeoutMs, bad).toBe(20_000);
      expect(r.warnings, bad).toHaveLength(1);
      expect(r.warnings[0]).toContain("ignored");
    }
  });

  it("an out-of-range config file value is a config error naming the key", () => {
    expect(() => load({ gateway: { handshakeTimeoutMs: 500 } })).toThrow(/gateway\.handshakeTimeoutMs/);
  });
});
