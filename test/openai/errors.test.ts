// /v1 errors in OpenAI's shape with the right status: auth, fields, models, body cap, gates, providers.
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openaiGateway, post } from "./harness.js";

const hi = [{ role: "user" as const, content: "hi" }];

async function apiError(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OpenAI.APIError) return err;
    throw err;
  }
  throw new Error("expected an API error");
}

describe("/v1 errors", () => {
  it("401 without or with a wrong token, in OpenAI's shape", async () => {
    await using gw = await openaiGateway();
    const wrong = new OpenAI({ baseURL: gw.base, apiKey: "nope", maxRetries: 0 });
    const err = await apiError(wrong.chat.completions.create({ model: "keel", messages: hi }));
    expect(err.status).toBe(401);
    expect(err.error).toMatchObject({ type: "authentication_error", code: "invalid_api_key", param: null });
    const res = await fetch(`${gw.base}/models`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(((await res.json()) as any).error).toMatchObject({
      code: "missing_api_key",
      type: "authentication_error",
    });
    expect(gw.fake.requests).toHaveLength(0);
  });

  it("auth failures from a browser origin are rate limited like WebSocket ones (429 with Retry-After)", async () => {
    await using gw = await openaiGateway([], {
      config: { gateway: { auth: { rateLimit: { maxAttempts: 2 } } } },
    });
    const bad = { authorization: "Bearer wrong", origin: "http://evil.example" };
    for (let i = 0; i < 2; i++) expect((await fetch(`${gw.base}/models`, { headers: bad })).status).toBe(401);
    const locked = await fetch(`${gw.base}/models`, { headers: bad });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await locked.json()) as any).error).toMatchObject({
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
    });
  });

  it("behind a trusted proxy the lockout is per forwarded client, as for WebSocket auth", async () => {
    await using gw = await openaiGateway([], {
      config: { gateway: { trustedProxies: ["127.0.0.1"], auth: { rateLimit: { maxAttempts: 2 } } } },
    });
    const from = (client: string) => ({ authorization: "Bearer wrong", "x-forwarded-for": client });
    for (let i = 0; i < 2; i++)
      expect((await fetch(`${gw.base}/models`, { headers: from("203.0.113.5") })).status).toBe(401);
    expect((await fetch(`${gw.base}/models`, { headers: from("203.0.113.5") })).status).toBe(429);
    expect((await fetch(`${gw.base}/models`, { headers: from("203.0.113.6") })).status).toBe(401);
  });

  it("400 naming the field", async () => {
    await using gw = await openaiGateway();
    const cases: [unknown, string][] = [
      [{ model: "keel" }, "messages"],
      [{ model: "keel", messages: hi, temperature: 3 }, "temperature"],
      [{ model: "keel", messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
      [{ model: "keel", messages: hi, stop: ["a", "b", "c", "d", "e"] }, "stop"],
      [{ model: "keel", messages: [{ role: "assistant", content: "x" }] }, "messages"],
      [{ model: "keel", messages: [{ role: "tool", content: "x" }] }, "messages[0].tool_call_id"],
    ];
    for (const [body, param] of cases) {
      const res = await post(gw.base, "/chat/completions", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const { error } = (await res.json()) as any;
      expect(error, JSON.stringify(body)).toMatchObject({ type: "invalid_request_error", param });
    }
    const bad = await post(gw.base, "/chat/completions", "{not json");
    expect(bad.status).toBe(400);
    expect(gw.fake.requests).toHaveLength(0);
  });

  it("404 for an unknown model, an unknown agent, an unknown path", async () => {
    await using gw = await openaiGateway();
    for (const model of ["gpt-nothing", "keel/nobody", "mock/unconfigured"]) {
      const err = await apiError(gw.client.chat.completions.create({ model, messages: hi }));
      expect(err.status).toBe(404);
      expect(err.error).toMatchObject({ code: "model_not_found", param: "model" });
    }
    const res = await fetch(`${gw.base}/nothing`, { headers: { authorization: "Bearer test-token-123" } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error).toMatchObject({ type: "invalid_request_error" });
  });

  it("413 past gateway.http.maxBodyBytes", async () => {
    await using gw = await openaiGateway([], { config: { gateway: { http: { maxBodyBytes: 2048 } } } });
    const res = await post(gw.base, "/chat/completions", {
      model: "keel",
      messages: [{ role: "user", content: "x".repeat(4096) }],
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error).toMatchObject({
      type: "invalid_request_error",
      code: "body_too_large",
    });
  });

  it("every endpoint is a 404 while its switch is off (the default)", async () => {
    await using gw = await gatewayWithFakeVendor();
    const base = `${gw.handle.url}/v1`;
    const auth = { authorization: "Bearer test-token-123", "content-type": "application/json" };
    expect((await fetch(`${base}/models`, { headers: auth })).status).toBe(404);
    for (const path of ["/chat/completions", "/responses", "/embeddings"]) {
      const res = await fetch(`${base}${path}`, { method: "POST", headers: auth, body: "{}" });
      expect(res.status, path).toBe(404);
    }
    // A reload turns one on without a restart.
    gw.handle.config.swap(
      Object.freeze({
        ...gw.loaded.config,
        gateway: {
          ...gw.loaded.config.gateway,
          http: {
            ...gw.loaded.config.gateway.http,
            endpoints: { ...gw.loaded.config.gateway.http.endpoints, chatCompletions: { enabled: true } },
          },
        },
      }),
    );
    expect((await fetch(`${base}/models`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/embeddings`, { method: "POST", headers: auth, body: "{}" })).status).toBe(
      404,
    );
  });

  it("502 with the kind in code for a provider failure", async () => {
    await using gw = await openaiGateway([
      step.status(500, { error: { message: "boom" } }),
      step.status(500),
      step.status(500),
    ]);
    const err = await apiError(gw.client.chat.completions.create({ model: "keel", messages: hi }));
    expect(err.status).toBe(502);
    expect(err.error).toMatchObject({ type: "server_error", code: "server_error" });
  });

  it("a strict provider/model failure is a 502 naming its kind", async () => {
    await using gw = await openaiGateway([{ type: "model-not-found" }]);
    const err = await apiError(gw.client.chat.completions.create({ model: "mock/mock-model", messages: hi }));
    expect(err.status).toBe(502);
    expect(err.error).toMatchObject({ code: "model_not_found" });
  });

  it("429 with Retry-After on a vendor rate limit, then at once while every candidate cools", async () => {
    await using gw = await openaiGateway([
      step.status(429, { error: { message: "slow down" } }, { "retry-after": "60" }),
    ]);
    const first = await apiError(gw.client.chat.completions.create({ model: "keel", messages: hi }));
    expect(first.status).toBe(429);
    expect(first.error).toMatchObject({ type: "rate_limit_error", code: "rate_limit" });
    expect(Number(first.headers?.get("retry-after"))).toBeGreaterThan(50);
    for (const stream of [false, true]) {
      const cooling = await apiError(
        gw.client.chat.completions.create({ model: "keel", messages: hi, stream }),
      );
      expect(cooling.status).toBe(429);
      expect(cooling.error).toMatchObject({ code: "all_candidates_cooling" });
      expect(Number(cooling.headers?.get("retry-after"))).toBeGreaterThan(50);
    }
    expect(gw.fake.requests).toHaveLength(1);
  });
});

describe("/v1 CORS", () => {
  it("answers preflight and adds CORS headers only for gateway.http.cors.allowedOrigins", async () => {
    await using gw = await openaiGateway([step.reply("ok")], {
      config: { gateway: { http: { cors: { allowedOrigins: ["http://app.example"] } } } },
    });
    const pre = await fetch(`${gw.base}/chat/completions`, {
      method: "OPTIONS",
      headers: {
        origin: "http://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("http://app.example");
    expect(pre.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    const res = await post(
      gw.base,
      "/chat/completions",
      { model: "keel", messages: hi },
      { origin: "http://app.example" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
    const denied = await post(
      gw.base,
      "/chat/completions",
      { model: "keel", messages: hi },
      { origin: "http://other.example" },
    );
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
    const foreign = await fetch(`${gw.base}/models`, {
      method: "OPTIONS",
      headers: { origin: "http://other.example" },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });
});
