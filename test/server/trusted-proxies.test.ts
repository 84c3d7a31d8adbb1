// gateway.trustedProxies: X-Forwarded-For names the client for the lockout and per-address budgets, only from a trusted peer.
import { describe, expect, it } from "vitest";
import { startGateway } from "../helpers/gateway.js";
import { TestSocket } from "../helpers/ws.js";

const A = "203.0.113.7";
const B = "198.51.100.2";

async function via(url: string, xff: string | undefined, token?: string) {
  const s = await TestSocket.open(url, xff === undefined ? {} : { headers: { "x-forwarded-for": xff } });
  const res = await s.connect(token === undefined ? {} : { auth: { token } });
  return { s, res };
}

describe("trusted proxies", () => {
  it("behind a trusted proxy the lockout is per forwarded client, not per proxy", async () => {
    await using gw = await startGateway({
      config: { gateway: { trustedProxies: ["127.0.0.0/8"], auth: { rateLimit: { maxAttempts: 2 } } } },
    });
    for (let i = 0; i < 2; i++) {
      const { s, res } = await via(gw.url, A, "wrong");
      await using _ = s;
      expect(res.error.details.code).toBe("AUTH_TOKEN_MISMATCH");
    }
    const locked = await via(gw.url, A);
    await using _l = locked.s;
    expect(locked.res.error.details.code).toBe("AUTH_RATE_LIMITED");
    // Another client behind the same proxy, and the proxy's own loopback address, still get in.
    const other = await via(gw.url, `${A}, ${B}`);
    await using _o = other.s;
    expect(other.res.ok).toBe(true);
    const direct = await via(gw.url, undefined);
    await using _d = direct.s;
    expect(direct.res.ok).toBe(true);
    const presence = (await direct.s.request("system-presence")).payload as { ip?: string }[];
    expect(presence.map((p) => p.ip)).toContain(B);
  });

  it("from an untrusted peer X-Forwarded-For is ignored", async () => {
    await using gw = await startGateway({
      config: {
        gateway: { auth: { rateLimit: { maxAttempts: 2, exemptLoopback: false, lockoutMs: 60_000 } } },
      },
    });
    // Forging a fresh address per attempt does not reset the count: the peer (127.0.0.1) is what counts.
    for (const forged of ["192.0.2.1", "192.0.2.2"]) {
      const { s, res } = await via(gw.url, forged, "wrong");
      await using _ = s;
      expect(res.error.details.code).toBe("AUTH_TOKEN_MISMATCH");
    }
    const locked = await via(gw.url, "192.0.2.3");
    await using _l = locked.s;
    expect(locked.res.error.details.code).toBe("AUTH_RATE_LIMITED");
  });

  it("the pre-auth per-address budget counts forwarded clients separately", async () => {
    await using gw = await startGateway({
      config: { gateway: { trustedProxies: ["127.0.0.1"], preAuth: { maxPerAddress: 2 } } },
    });
    const open = (xff: string) => TestSocket.open(gw.url, { headers: { "x-forwarded-for": xff } });
    const a1 = await open(A);
    const a2 = await open(A);
    const b1 = await open(B);
    const a3 = await open(A);
    try {
      await a3.event("connect.challenge");
      expect((await a1.closed).code).toBe(1013);
      expect((await b1.connect()).ok).toBe(true);
      expect((await a2.connect()).ok).toBe(true);
    } finally {
      for (const s of [a1, a2, b1, a3]) await s[Symbol.asyncDispose]();
    }
  });
});
