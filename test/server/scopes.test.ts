// The method → scope table over a real socket: write implies read, config.get is read, the
// session-destroying methods are admin, and a device-less probe connect may call health only
// (as the recorded reference answers `openclaw gateway probe`).
import { describe, expect, it } from "vitest";
import { startGateway } from "../helpers/gateway.js";
import { openClient } from "../helpers/ws.js";

describe("scopes", () => {
  it("write implies read: a write-only socket reads and waits, but cannot reset or inject", async () => {
    await using gw = await startGateway();
    await using s = await openClient(gw.url, { scopes: ["operator.write"] });
    expect((await s.request("chat.history", { sessionKey: "main" })).ok).toBe(true);
    expect((await s.request("agent.wait", { runId: "nope", timeoutMs: 1 })).error.code).toBe(
      "INVALID_REQUEST",
    );
    for (const [method, params] of [
      ["sessions.reset", { key: "main" }],
      ["sessions.delete", { key: "main" }],
      ["chat.inject", { sessionKey: "main", message: "x" }],
    ] as const) {
      const r = await s.request(method, params);
      expect(r.error?.details, method).toMatchObject({
        code: "MISSING_SCOPE",
        missingScope: "operator.admin",
      });
    }
  });

  it("a device-less probe connect gets no operator scopes: health answers, the rest is missing scope", async () => {
    await using gw = await startGateway();
    await using s = await openClient(gw.url, {
      scopes: ["operator.read"],
      client: { id: "cli", version: "dev", platform: "linux", mode: "probe" },
    });
    expect((await s.request("health", {})).ok).toBe(true);
    for (const method of ["status", "system-presence", "config.get"]) {
      const r = await s.request(method, {});
      expect(r.error, method).toEqual({
        code: "FORBIDDEN",
        message: "missing scope: operator.read",
        details: { code: "MISSING_SCOPE", missingScope: "operator.read", requiredScopes: ["operator.read"] },
      });
    }
  });
});
