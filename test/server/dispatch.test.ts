import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Type } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import { REDACTED } from "../../src/config/walk.js";
import type { GatewayContext } from "../../src/methods/index.js";
import { defineMethod, TwoResponses } from "../../src/methods/registry.js";
import { GatewayError } from "../../src/protocol/errors.js";
import { startGateway, TEST_TOKEN } from "../helpers/gateway.js";
import { openClient } from "../helpers/ws.js";

const none = Type.Object({}, { additionalProperties: false });
const testMethods = [
  defineMethod({
    name: "test.throw",
    scope: "operator.read",
    params: none,
    handler: () => {
      throw new Error("boom");
    },
  }),
  defineMethod({
    name: "test.notFound",
    scope: "operator.read",
    params: none,
    handler: async () => {
      throw new GatewayError("NOT_FOUND", "no such thing", { details: { what: "thing" } });
    },
  }),
  defineMethod({
    name: "test.write",
    scope: "operator.write",
    params: Type.Object({ n: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    handler: (_ctx: GatewayContext, p) => ({ doubled: p.n * 2 }),
  }),
  defineMethod({
    name: "test.two",
    scope: "operator.read",
    params: none,
    handler: () =>
      new TwoResponses({ status: "accepted" }, new Promise((r) => setTimeout(() => r({ status: "ok" }), 50))),
  }),
];

describe("method dispatch", () => {
  it("unknown method, bad params, missing scope and throwing handlers give typed errors; the socket stays up", async () => {
    await using gw = await startGateway({ methods: testMethods });
    await using s = await openClient(gw.url, { scopes: ["operator.read"] });

    const unknown = await s.request("nope.nothing", {});
    expect(unknown.error).toEqual({ code: "INVALID_REQUEST", message: "unknown method: nope.nothing" });

    const bad = await s.request("health", { probe: "yes" });
    expect(bad.error.code).toBe("INVALID_REQUEST");
    expect(bad.error.message).toBe("invalid health params: at /probe: must be boolean");

    const denied = await s.request("test.write", { n: 2 });
    expect(denied.error).toEqual({
      code: "FORBIDDEN",
      message: "missing scope: operator.write",
      details: { code: "MISSING_SCOPE", missingScope: "operator.write", requiredScopes: ["operator.write"] },
    });
    const admin = await s.request("sessions.reset", { key: "main" });
    expect(admin.error.details).toMatchObject({ code: "MISSING_SCOPE", missingScope: "operator.admin" });
    // config.get is a read method: secrets are redacted, so read scope sees it.
    expect((await s.request("config.get", {})).ok).toBe(true);

    const thrown = await s.request("test.throw", {});
    expect(thrown.error).toEqual({ code: "UNAVAILABLE", message: "internal error: boom", retryable: true });
    const typed = await s.request("test.notFound");
    expect(typed.error).toEqual({ code: "NOT_FOUND", message: "no such thing", details: { what: "thing" } });

    const frame = await s.request("health", undefined);
    expect(frame.ok).toBe(true);
    s.send({ type: "req", id: "x1", method: "health", extra: true });
    expect((await s.response("x1")).error.message).toBe(
      "invalid request frame: at root: unexpected property 'extra'",
    );
    expect((await s.request("health")).ok).toBe(true);
  });

  it("write scope runs validated params; admin implies every scope", async () => {
    await using gw = await startGateway({ methods: testMethods });
    await using s = await openClient(gw.url, { scopes: ["operator.admin"] });
    expect((await s.request("test.write", { n: 21 })).payload).toEqual({ doubled: 42 });
    expect((await s.request("test.write", { n: 0 })).error.message).toBe(
      "invalid test.write params: at /n: must be >= 1",
    );
  });

  it("a TwoResponses result sends two res frames with the same id", async () => {
    await using gw = await startGateway({ methods: testMethods });
    await using s = await openClient(gw.url);
    s.send({ type: "req", id: "two", method: "test.two", params: {} });
    await s.next((f) => f.id === "two" && f.payload?.status === "ok");
    const both = s.frames.filter((f) => f.id === "two").map((f) => f.payload.status);
    expect(both).toEqual(["accepted", "ok"]);
  });
});

describe("core methods", () => {
  it("health: cached snapshot with memory, event loop, subsystems and startup steps; probe refreshes", async () => {
    await using gw = await startGateway();
    await using s = await openClient(gw.url);
    const h = (await s.request("health")).payload;
    expect(h.ok).toBe(true);
    expect(h.memory.rss).toBeGreaterThan(0);
    expect(h.eventLoop).toMatchObject({ degraded: false, delayP99Ms: expect.any(Number) });
    expect(h.subsystems.hooks).toEqual({ state: "off" });
    expect(h.startup.phase).toBe("ready");
    expect(h.startup.steps.map((x: { name: string }) => x.name)).toEqual([
      "restart-backoff",
      "hooks",
      "models",
      "sessions",
    ]);
    const again = (await s.request("health")).payload;
    expect(again.ts).toBe(h.ts); // served from the cache
    // Lets the millisecond clock move, so a fresh snapshot's ts is later than the cached one's.
    await new Promise((r) => setTimeout(r, 5));
    const probed = (await s.request("health", { probe: true })).payload;
    expect(probed.ts).toBeGreaterThan(h.ts);
  });

  it("status: Keel's shape; paths only for admin", async () => {
    await using gw = await startGateway();
    await using reader = await openClient(gw.url, { scopes: ["operator.read"] });
    const st = (await reader.request("status")).payload;
    expect(st).toMatchObject({
      version: "0.1.0",
      pid: process.pid,
      bind: "loopback",
      port: gw.handle.port,
      authMode: "token",
      connections: { count: 1, max: 1000 },
      startup: { phase: "ready" },
    });
    expect(st.stateDir).toBeUndefined();
    await using admin = await openClient(gw.url, { scopes: ["operator.admin"] });
    const full = (await admin.request("status")).payload;
    expect(full.stateDir).toBe(gw.stateDir);
    expect(full.connections.count).toBe(2);
  });

  it("system-presence lists the gateway and connected clients", async () => {
    await using gw = await startGateway();
    await using s = await openClient(gw.url, {
      client: { id: "cli", version: "9.9.9", platform: "linux", mode: "cli", instanceId: "inst-1" },
    });
    const list = (await s.request("system-presence")).payload;
    expect(list[0]).toMatchObject({ mode: "gateway", reason: "self" });
    expect(list).toContainEqual(
      expect.objectContaining({ mode: "cli", version: "9.9.9", instanceId: "inst-1", roles: ["operator"] }),
    );
  });

  it("config.get: admin only, secrets redacted, with the file's and the effective config's hashes", async () => {
    await using gw = await startGateway();
    await using s = await openClient(gw.url, { scopes: ["operator.admin"] });
    const res = (await s.request("config.get")).payload;
    expect(res.hash).toBe(gw.loaded.fileHash);
    expect(res.effectiveHash).toBe(gw.loaded.hash);
    expect(res.config.gateway.auth.token).toBe(REDACTED);
    expect(JSON.stringify(res)).not.toContain(TEST_TOKEN);
    expect(res.valid).toBe(true);
  });

  it("logs.tail: tail with limit, follow by cursor, reset after truncation", async () => {
    await using gw = await startGateway();
    const dir = join(gw.stateDir, "logs");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "keel.log");
    writeFileSync(file, Array.from({ length: 10 }, (_, i) => `line ${i}`).join("\n") + "\n");
    await using s = await openClient(gw.url);
    const first = (await s.request("logs.tail", { limit: 3 })).payload;
    expect(first.lines).toEqual(["line 7", "line 8", "line 9"]);
    expect(first.truncated).toBe(true);
    expect(first.file).toBe(file);
    appendFileSync(file, "line 10\nline 11\npartial");
    const next = (await s.request("logs.tail", { cursor: first.cursor })).payload;
    expect(next.lines).toEqual(["line 10", "line 11"]);
    const none = (await s.request("logs.tail", { cursor: next.cursor })).payload;
    expect(none.lines).toEqual([]);
    writeFileSync(file, "fresh\n");
    const reset = (await s.request("logs.tail", { cursor: next.cursor })).payload;
    expect(reset).toMatchObject({ reset: true, lines: ["fresh"] });
    const small = (await s.request("logs.tail", { maxBytes: 1_000_001 })).error;
    expect(small.message).toBe("invalid logs.tail params: at /maxBytes: must be <= 1000000");
  });
});
