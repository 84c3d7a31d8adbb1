import { describe, expect, it } from "vitest";
import type { Route } from "../../src/http/types.js";
import { startGateway } from "../helpers/gateway.js";
import { rawRequest, upgradeHeaders } from "../helpers/http.js";
import { openClient } from "../helpers/ws.js";

const apiLike: Route[] = [
  { method: "POST", path: "/api/chat/completions", handler: () => ({ status: 200, body: "completion" }) },
];

describe("WebSocket upgrades only on the WebSocket path", () => {
  it("a probe carrying Upgrade headers answers its normal HTTP reply, not 101", async () => {
    await using gw = await startGateway();
    const res = await rawRequest(gw.handle.port, ["GET /healthz HTTP/1.1", ...upgradeHeaders()]);
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"ok":true,"status":"live"}');
    expect(res.raw).not.toContain("101");
    const ready = await rawRequest(gw.handle.port, ["GET /readyz HTTP/1.1", ...upgradeHeaders()]);
    expect([ready.status, ready.body]).toEqual([200, '{"ok":true,"status":"ready"}']);
    const head = await rawRequest(gw.handle.port, ["HEAD /startupz HTTP/1.1", ...upgradeHeaders()]);
    expect([head.status, head.body]).toEqual([200, ""]);
  });

  it("a probe carrying an h2c (or any other) Upgrade header answers its normal reply, not 400", async () => {
    await using gw = await startGateway();
    for (const [path, upgrade] of [
      ["/healthz", "h2c"],
      ["/readyz", "h2c"],
      ["/healthz", "TLS/1.0"],
      ["/health", "foo/9"],
    ] as const) {
      const res = await rawRequest(gw.handle.port, [
        `GET ${path} HTTP/1.1`,
        "Host: 127.0.0.1",
        "Connection: Upgrade, HTTP2-Settings",
        `Upgrade: ${upgrade}`,
        "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
      ]);
      expect([path, upgrade, res.status], res.raw.slice(0, 200)).toEqual([path, upgrade, 200]);
      expect(res.body).toContain('"ok":true');
    }
  });

  it("other paths with Upgrade get the router's 404 / 405 / route reply; an h2c upgrade too", async () => {
    await using gw = await startGateway({ routes: [{ routes: apiLike }] });
    const port = gw.handle.port;
    const missing = await rawRequest(port, ["GET /api/models HTTP/1.1", ...upgradeHeaders()]);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error.type).toBe("not_found");
    const wrongMethod = await rawRequest(port, ["GET /api/chat/completions HTTP/1.1", ...upgradeHeaders()]);
    expect([wrongMethod.status, wrongMethod.headers["allow"]]).toEqual([405, "POST"]);
    const h2c = await rawRequest(port, [
      "POST /api/chat/completions HTTP/1.1",
      "Host: 127.0.0.1",
      "Connection: Upgrade, HTTP2-Settings",
      "Upgrade: h2c",
      "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
      "Content-Length: 0",
    ]);
    expect([h2c.status, h2c.body]).toEqual([200, "completion"]);
    // A query string does not make the WebSocket path another path.
    const ws = await rawRequest(port, ["GET /?x=1 HTTP/1.1", ...upgradeHeaders()]);
    expect(ws.status).toBe(101);
  });

  it("the WebSocket path still upgrades and serves the protocol", async () => {
    await using gw = await startGateway();
    const upgraded = await rawRequest(gw.handle.port, ["GET / HTTP/1.1", ...upgradeHeaders()]);
    expect(upgraded.status).toBe(101);
    await using s = await openClient(gw.url);
    expect((await s.request("health")).ok).toBe(true);
  });
});

describe("an Upgrade request with a body on another path", () => {
  it("is answered (never 101, never hung): served on Node 24.9+, a 400 where Node parsed no body", async () => {
    const echo: Route[] = [
      { method: "POST", path: "/v1/echo", handler: async (ctx) => ({ status: 200, body: await ctx.body() }) },
    ];
    await using gw = await startGateway({ routes: [{ routes: echo }] });
    const res = await rawRequest(
      gw.handle.port,
      ["POST /v1/echo HTTP/1.1", ...upgradeHeaders(), "Content-Length: 5"],
      "hello",
    );
    if (res.status === 200) expect(res.body).toBe("hello");
    else {
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe("UPGRADE_WITH_BODY");
    }
  });
});
