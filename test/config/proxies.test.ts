// gateway.trustedProxies: every entry must be a real address or CIDR; a bad one is a config error
// naming its index (exit 78 at startup), where it used to pass the pattern and crash the start.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load.js";

const load = (trustedProxies: string[]) =>
  loadConfig({ path: "/nonexistent", env: {}, raw: { gateway: { trustedProxies } } });

describe("gateway.trustedProxies", () => {
  it("accepts IPv4 and IPv6 addresses and networks", () => {
    const ok = ["10.0.0.0/8", "192.168.1.7", "::1", "fd00::/8", "0.0.0.0/0"];
    expect(load(ok).config.gateway.trustedProxies).toEqual(ok);
  });

  it("reports each bad entry with its path: a prefix too long, an address that is not one", () => {
    let err: ConfigError | undefined;
    try {
      load(["10.0.0.0/8", "10.0.0.0/33", "999.1.1.1", "fd00::/129", ":::"]);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems.map((p) => p.path)).toEqual([
      "gateway.trustedProxies.1",
      "gateway.trustedProxies.2",
      "gateway.trustedProxies.3",
      "gateway.trustedProxies.4",
    ]);
    expect(err!.problems[0]!.message).toContain("0–32");
    expect(err!.problems[2]!.message).toContain("0–128");
  });
});
