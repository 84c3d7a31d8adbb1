import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { requireBearer } from "../../src/http/auth.js";
import { Router } from "../../src/http/router.js";
import type { Route } from "../../src/http/types.js";
import { GatewayError } from "../../src/protocol/errors.js";
import { startGateway } from "../helpers/gateway.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request over a fresh connection; `write` may stream the body and leave it unfinished. */
function call(
  base: string,
  method: string,
  path: string,
  options: {
    headers?: Record<string, string | number>;
    body?: string;
    write?: (req: ReturnType<typeof request>) => void;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, agent: false, headers: options.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    if (options.write) options.write(req);
    else req.end(options.body);
  });
}

const testRoutes: Route[] = [
  {
    method: "POST",
    path: "/test/echo",
    maxBodyBytes: 1024,
    handler: async (ctx) => ({ status: 200, body: JSON.stringify({ bytes: (await ctx.body()).length }) }),
  },
  {
    method: "GET",
    path: "/test/throw",
    handler: () => {
      throw new Error("handler bug");
    },
  },
  {
    method: "GET",
    path: "/test/secret",
    handler: (ctx) => {
      requireBearer(ctx.headers, "s3cret-token");
      return { status: 200, body: "in" };
    },
  },
];

const familyRoutes: Route[] = [
  {
    method: "GET",
    path: "/things/:id",
    handler: (ctx) => ({ status: 200, body: `thing ${ctx.params["id"]}` }),
  },
  {
    method: "POST",
    path: "/things",
    handler: () => {
      throw new GatewayError("UNAVAILABLE", "busy", {
        details: { code: "RATE_LIMITED" },
        retryAfterMs: 1500,
      });
    },
  },
];

async function gateway() {
  return startGateway({
    routes: [
      { routes: testRoutes },
      {
        routes: familyRoutes,
        mount: { prefix: "/v9", errorBody: (err, status) => ({ fault: err.message, status }) },
      },
    ],
  });
}

describe("the HTTP router", () => {
  it("an unknown path is a JSON 404; a known path with another method is a 405 with Allow", async () => {
    await using gw = await gateway();
    const base = gw.handle.url;
    const missing = await call(base, "GET", "/nope");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({
      error: { message: "not found: GET /nope", type: "not_found" },
    });
    expect(missing.headers["content-type"]).toContain("application/json");

    const wrong = await call(base, "POST", "/healthz", { body: "{}" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers["allow"]).toBe("GET, HEAD");
    expect(JSON.parse(wrong.body).error).toMatchObject({
      type: "method_not_allowed",
      code: "METHOD_NOT_ALLOWED",
    });
    const getOnPost = await call(base, "GET", "/test/echo");
    expect([getOnPost.status, getOnPost.headers["allow"]]).toEqual([405, "POST"]);
    // Exact paths: a trailing slash is another path.
    expect((await call(base, "GET", "/healthz/")).status).toBe(404);
  });

  it("reads a body up to the route's cap and answers 413 past it, declared or streamed", async () => {
    await using gw = await gateway();
    const base = gw.handle.url;
    const ok = await call(base, "POST", "/test/echo", { body: "x".repeat(1000) });
    expect([ok.status, JSON.parse(ok.body)]).toEqual([200, { bytes: 1000 }]);

    // Declared too large: refused from the headers alone, the body is never sent.
    const declared = await call(base, "POST", "/test/echo", {
      headers: { "content-length": 5000 },
      write: (req) => req.flushHeaders(),
    });
    expect(declared.status).toBe(413);
    expect(declared.headers["connection"]).toBe("close");
    expect(JSON.parse(declared.body).error).toMatchObject({
      type: "payload_too_large",
      code: "BODY_TOO_LARGE",
    });

    // Chunked and never finished: the answer comes once the cap is crossed, not at the end.
    const streamed = await call(base, "POST", "/test/echo", {
      headers: { "transfer-encoding": "chunked" },
      write: (req) => req.write("y".repeat(2000)),
    });
    expect(streamed.status).toBe(413);
  });

  it("a throwing handler gets a 500 that reveals nothing, and the gateway keeps serving", async () => {
    await using gw = await gateway();
    const base = gw.handle.url;
    const failed = await call(base, "GET", "/test/throw");
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({ error: { message: "internal error", type: "server_error" } });
    expect((await call(base, "GET", "/healthz")).status).toBe(200);
    expect((await call(base, "GET", "/test/throw")).status).toBe(500);
    expect((await call(base, "POST", "/test/echo", { body: "abc" })).body).toBe('{"bytes":3}');
  });

  it("bearer auth: missing or wrong token is a 401 with WWW-Authenticate; the right one passes", async () => {
    await using gw = await gateway();
    const base = gw.handle.url;
    const none = await call(base, "GET", "/test/secret");
    expect([none.status, none.headers["www-authenticate"]]).toEqual([401, "Bearer"]);
    expect(JSON.parse(none.body).error).toMatchObject({ type: "unauthorized", code: "AUTH_TOKEN_MISSING" });
    const wrong = await call(base, "GET", "/test/secret", { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).error.code).toBe("AUTH_TOKEN_MISMATCH");
    const basic = await call(base, "GET", "/test/secret", {
      headers: { authorization: "Basic s3cret-token" },
    });
    expect(basic.status).toBe(401);
    const right = await call(base, "GET", "/test/secret", {
      headers: { authorization: "bearer s3cret-token" },
    });
    expect([right.status, right.body]).toEqual([200, "in"]);
  });

  it("a family mounted under a prefix gets its params, its error body and mapped statuses", async () => {
    await using gw = await gateway();
    const base = gw.handle.url;
    expect((await call(base, "GET", "/v9/things/a%20b")).body).toBe("thing a b");
    const missing = await call(base, "GET", "/v9/nothing");
    expect([missing.status, JSON.parse(missing.body)]).toEqual([
      404,
      { fault: "not found: GET /v9/nothing", status: 404 },
    ]);
    const limited = await call(base, "POST", "/v9/things", { body: "" });
    expect([limited.status, limited.headers["retry-after"]]).toEqual([429, "2"]);
    expect(JSON.parse(limited.body)).toEqual({ fault: "busy", status: 429 });
    // Outside the prefix the default body applies.
    expect(JSON.parse((await call(base, "GET", "/v9x")).body).error.type).toBe("not_found");
  });

  it("HEAD on a GET route sends the headers only", async () => {
    await using gw = await gateway();
    const head = await call(gw.handle.url, "HEAD", "/healthz");
    expect([head.status, head.body, head.headers["content-length"]]).toEqual([200, "", "27"]);
  });

  it("refuses to register one method on one path twice", () => {
    const router = new Router().add(testRoutes);
    expect(() =>
      router.add([{ method: "POST", path: "/test/echo", handler: () => ({ status: 200 }) }]),
    ).toThrow("route registered twice: POST /test/echo");
    expect(() =>
      router.add([{ method: "PUT", path: "/test/echo", handler: () => ({ status: 200 }) }]),
    ).not.toThrow();
  });
});
