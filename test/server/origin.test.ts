import { describe, expect, it } from "vitest";
import { normalizeOrigin, originAllowed, ownOrigins } from "../../src/server/origin.js";
import { startGateway } from "../helpers/gateway.js";
import { TestSocket } from "../helpers/ws.js";

/** Opens a socket with an Origin header (as a browser would) and sends `connect`. */
async function connectFrom(url: string, origin: string | undefined, params: Record<string, unknown> = {}) {
  const s = await TestSocket.open(url, origin === undefined ? {} : { origin });
  const res = await s.connect(params);
  return { s, res };
}

describe("the Origin allow-list", () => {
  it("a foreign browser origin is refused before auth: ORIGIN_NOT_ALLOWED, then 1008", async () => {
    await using gw = await startGateway();
    const { s, res } = await connectFrom(gw.url, "https://evil.example");
    await using _ = s;
    expect(res.ok).toBe(false);
    expect(res.error).toMatchObject({
      code: "INVALID_REQUEST",
      details: { code: "ORIGIN_NOT_ALLOWED", origin: "https://evil.example" },
    });
    expect(res.error.message).toContain("gateway.controlUi.allowedOrigins");
    expect(await s.closed).toEqual({ code: 1008, reason: "origin not allowed" });
  });

  it("the gateway's own origin and listed origins connect; clients without Origin are unaffected", async () => {
    await using gw = await startGateway({
      config: {
        gateway: { controlUi: { allowedOrigins: ["https://UI.example.com", "http://10.1.2.3:8080"] } },
      },
    });
    const port = gw.handle.port;
    for (const origin of [
      `http://127.0.0.1:${port}`,
      `http://localhost:${port}`,
      "https://ui.example.com",
      "https://ui.example.com:443",
      "http://10.1.2.3:8080",
      undefined,
    ]) {
      const { s, res } = await connectFrom(gw.url, origin);
      await using _ = s;
      expect(res.ok, String(origin)).toBe(true);
    }
    for (const origin of [
      `http://localhost:${port + 1}`,
      "http://ui.example.com",
      "null",
      "https://ui.example.com.evil",
    ]) {
      const { s, res } = await connectFrom(gw.url, origin);
      await using _ = s;
      expect(res.error?.details?.code, origin).toBe("ORIGIN_NOT_ALLOWED");
    }
  });

  it("refused origins never count toward the auth lockout", async () => {
    await using gw = await startGateway({
      config: { gateway: { auth: { rateLimit: { maxAttempts: 2, exemptLoopback: false } } } },
    });
    for (let i = 0; i < 5; i++) {
      const { s, res } = await connectFrom(gw.url, "https://evil.example", { auth: { token: "wrong" } });
      await using _ = s;
      expect(res.error.details.code).toBe("ORIGIN_NOT_ALLOWED");
    }
    // Had those five counted, this IP would be locked out (AUTH_RATE_LIMITED) by now.
    const wrong = await connectFrom(gw.url, undefined, { auth: { token: "wrong" } });
    await using _w = wrong.s;
    expect(wrong.res.error.details.code).toBe("AUTH_TOKEN_MISMATCH");
    const right = await connectFrom(gw.url, undefined);
    await using _r = right.s;
    expect(right.res.ok).toBe(true);
    // And the limiter itself still works: two wrong tokens (the success reset the count) lock the IP.
    for (let i = 0; i < 2; i++) {
      const again = await connectFrom(gw.url, undefined, { auth: { token: "wrong" } });
      await using _a = again.s;
    }
    const locked = await connectFrom(gw.url, undefined);
    await using _l = locked.s;
    expect(locked.res.error.details.code).toBe("AUTH_RATE_LIMITED");
  });

  it("normalizes origins and derives the gateway's own from the socket it was reached on", () => {
    expect(normalizeOrigin("HTTP://LocalHost:80")).toBe("http://localhost");
    expect(normalizeOrigin("https://a.example/path")).toBeUndefined();
    expect(normalizeOrigin("null")).toBeUndefined();
    expect(normalizeOrigin("file://x")).toBeUndefined();
    expect(ownOrigins({ address: "127.0.0.1", port: 18789 })).toEqual([
      "http://127.0.0.1:18789",
      "http://localhost:18789",
      "http://[::1]:18789",
    ]);
    expect(ownOrigins({ address: "::ffff:192.168.1.5", port: 1 })).toEqual(["http://192.168.1.5:1"]);
    expect(ownOrigins({ address: "fe80::1", port: 2 })).toEqual(["http://[fe80::1]:2"]);
    expect(originAllowed("http://192.168.1.5:1", [], { address: "192.168.1.5", port: 1 })).toBe(true);
    expect(originAllowed("http://localhost:1", [], { address: "192.168.1.5", port: 1 })).toBe(false);
  });
});
