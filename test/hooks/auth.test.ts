// Webhook auth: the token in any of its three headers, never in the query string, compared in
// constant time, with a failed-auth limit per client address (loopback included) and Retry-After.
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { bearer, HOOK_TOKEN, hooksOn, post } from "./helpers.js";

describe("webhook auth", () => {
  it("accepts the token in Authorization: Bearer, x-keel-token and x-openclaw-token", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok"), { config: hooksOn() });
    const headers: Record<string, string>[] = [
      bearer,
      { "x-keel-token": HOOK_TOKEN },
      { "x-openclaw-token": HOOK_TOKEN },
    ];
    for (const h of headers) {
      const res = await post(gw.port, "/hooks/agent", { message: "hi" }, h);
      expect(res.status, JSON.stringify(h)).toBe(202);
      expect(res.body).toEqual({ ok: true, runId: expect.any(String) });
    }
  });

  it("refuses a token in the query string with 400, even beside a valid header", async () => {
    await using gw = await gatewayWithFakeVendor([], { config: hooksOn() });
    for (const q of [`token=${HOOK_TOKEN}`, `x-keel-token=${HOOK_TOKEN}`]) {
      const res = await post(gw.port, `/hooks/agent?${q}`, { message: "hi" }, bearer);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ ok: false, code: "QUERY_TOKEN_REJECTED" });
    }
    expect(gw.fake.requests).toHaveLength(0);
  });

  it("a wrong or missing token is 401 with WWW-Authenticate, and nothing runs", async () => {
    await using gw = await gatewayWithFakeVendor([], { config: hooksOn() });
    const wrong = await post(gw.port, "/hooks/agent", { message: "hi" }, { authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers["www-authenticate"]).toBe("Bearer");
    expect(wrong.body).toMatchObject({ ok: false, code: "AUTH_TOKEN_MISMATCH" });
    const almost = await post(gw.port, "/hooks/wake", { text: "x" }, { "x-keel-token": `${HOOK_TOKEN}x` });
    expect(almost.status).toBe(401);
    const missing = await post(gw.port, "/hooks/wake", { text: "x" });
    expect(missing).toMatchObject({ status: 401, body: { code: "AUTH_TOKEN_MISSING" } });
    expect(gw.fake.requests).toHaveLength(0);
  });

  it("20 failures per address lock it out (loopback too): 429 with Retry-After, even for the right token", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok"), { config: hooksOn() });
    for (let i = 0; i < 20; i++) {
      const res = await post(gw.port, "/hooks/agent", { message: "x" }, { "x-keel-token": `guess-${i}` });
      expect(res.status).toBe(401);
    }
    const locked = await post(gw.port, "/hooks/agent", { message: "x" }, bearer);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe("AUTH_RATE_LIMITED");
    const retryAfter = Number(locked.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(gw.fake.requests).toHaveLength(0);
  });

  it("the limit counts the client behind a trusted proxy, not the proxy", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok"), {
      config: { ...hooksOn({ rateLimit: { maxAttempts: 2 } }), gateway: { trustedProxies: ["127.0.0.1"] } },
    });
    const from = (ip: string, token: string) =>
      post(gw.port, "/hooks/agent", { message: "x" }, { "x-forwarded-for": ip, "x-keel-token": token });
    expect((await from("203.0.113.1", "bad")).status).toBe(401);
    expect((await from("203.0.113.1", "bad")).status).toBe(401);
    expect((await from("203.0.113.1", HOOK_TOKEN)).status).toBe(429);
    // Another client through the same proxy is not locked out.
    expect((await from("203.0.113.2", HOOK_TOKEN)).status).toBe(202);
  });

  it("a success clears the address's failures", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("ok"), {
      config: hooksOn({ rateLimit: { maxAttempts: 3 } }),
    });
    const bad = () => post(gw.port, "/hooks/wake", { text: "x" }, { "x-keel-token": "bad" });
    expect((await bad()).status).toBe(401);
    expect((await bad()).status).toBe(401);
    expect((await post(gw.port, "/hooks/wake", { text: "x" }, bearer)).status).toBe(200);
    expect((await bad()).status).toBe(401);
    expect((await bad()).status).toBe(401);
    expect((await post(gw.port, "/hooks/wake", { text: "x" }, bearer)).status).toBe(200);
  });
});
