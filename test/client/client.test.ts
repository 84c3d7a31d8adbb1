// GatewayClient against a real in-process gateway: connect, scopes, requests, errors, events, startup, close.
import { Type } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import { CLIENT_PROTOCOL, type ClientStatus, connectParams, GatewayClient } from "../../src/client/client.js";
import { ClientError, RequestError } from "../../src/client/errors.js";
import { defineMethod } from "../../src/methods/registry.js";
import { PROTOCOL_VERSION } from "../../src/protocol/frames.js";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { startGateway, TEST_TOKEN } from "../helpers/gateway.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { freePort } from "./fake-server.js";

/** The `ms` of each test.slow call that has answered, in order. */
const answered: number[] = [];

/** A method that answers after `ms` (for request timeouts), registered through start()'s `methods`. */
const slow = defineMethod({
  name: "test.slow",
  scope: "operator.read",
  params: Type.Object({ ms: Type.Integer() }, { additionalProperties: false }),
  handler: async (_ctx: unknown, p) => {
    // The wait is the method's behaviour: a request that outlives the client's timeout.
    await new Promise((r) => setTimeout(r, p.ms));
    answered.push(p.ms);
    return { waited: p.ms };
  },
});

describe("GatewayClient against the real gateway", () => {
  it("speaks protocol 4 as the CLI and gets exactly the scopes it asked for", async () => {
    expect(CLIENT_PROTOCOL).toBe(PROTOCOL_VERSION);
    const params = connectParams({ url: "ws://x", token: "t", scopes: ["operator.read"] });
    expect(params).toMatchObject({
      minProtocol: 4,
      maxProtocol: 4,
      role: "operator",
      client: { id: "cli", mode: "cli" },
      scopes: ["operator.read"],
      auth: { token: "t" },
    });
    await using gw = await startGateway();
    await using client = await GatewayClient.connect({
      url: gw.url,
      token: TEST_TOKEN,
      scopes: ["operator.read", "operator.admin"],
    });
    expect(client.hello.type).toBe("hello-ok");
    expect(client.hello.auth.scopes.sort()).toEqual(["operator.admin", "operator.read"]);
    const health = await client.request<{ ok: boolean }>("health");
    expect(health.ok).toBe(true);
    const cfg = await client.request<{ hash: string }>("config.get", {});
    expect(cfg.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps the wire error whole: code, message, details, retryable", async () => {
    await using gw = await startGateway();
    await using client = await GatewayClient.connect({
      url: gw.url,
      token: TEST_TOKEN,
      scopes: ["operator.read"],
    });
    const err = await client.request("sessions.reset", { key: "main" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({
      method: "sessions.reset",
      code: "FORBIDDEN",
      detailCode: "MISSING_SCOPE",
      details: { missingScope: "operator.admin" },
    });
    const unknown = await client.request("no.such.method", {}).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: "INVALID_REQUEST", message: "unknown method: no.such.method" });
    // The connection survives refused requests.
    await expect(client.request("status", {})).resolves.toMatchObject({ authMode: "token" });
  });

  it("a wrong token is a RequestError with details.code; nothing listening is `unreachable`", async () => {
    await using gw = await startGateway();
    const bad = await GatewayClient.connect({ url: gw.url, token: "nope" }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RequestError);
    expect(bad).toMatchObject({
      method: "connect",
      code: "INVALID_REQUEST",
      detailCode: "AUTH_TOKEN_MISMATCH",
    });
    const port = await freePort();
    const down = await GatewayClient.connect({ url: `ws://127.0.0.1:${port}`, token: "x" }).catch(
      (e: unknown) => e,
    );
    expect(down).toBeInstanceOf(ClientError);
    expect(down).toMatchObject({ kind: "unreachable", errno: "ECONNREFUSED", stage: "socket" });
  });

  it("times a request out on its own timeout and ignores the late answer", async () => {
    await using gw = await startGateway({ methods: [slow] as never });
    await using client = await GatewayClient.connect({ url: gw.url, token: TEST_TOKEN });
    const err = await client.request("test.slow", { ms: 600 }, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ kind: "timeout" });
    // The client gave up before the gateway answered.
    expect(answered).not.toContain(600);
    await eventually(() => answered.includes(600), {
      message: "the gateway to answer the timed-out request",
    });
    // The late res for the timed-out id arrived (it precedes the next answer on the socket) and was
    // dropped; the next request still works.
    await expect(client.request("test.slow", { ms: 1 })).resolves.toEqual({ waited: 1 });
  });

  it("expectFinal skips the `accepted` answer of `agent` and resolves with the final one", async () => {
    await using gw = await gatewayWithFakeVendor([step.reply("Hello from the mock model.")]);
    await using client = await GatewayClient.connect({
      url: gw.url,
      token: TEST_TOKEN,
      scopes: ["operator.read", "operator.write"],
    });
    const accepted: unknown[] = [];
    const final = await client.request<{ status: string; result: { payloads: { text: string }[] } }>(
      "agent",
      { message: "Say hello.", sessionKey: "client-test", idempotencyKey: "client-expect-final-1" },
      { expectFinal: true, onAccepted: (p) => accepted.push(p), timeoutMs: 20_000 },
    );
    expect(accepted).toMatchObject([{ runId: "client-expect-final-1", status: "accepted" }]);
    expect(final.status).toBe("ok");
    expect(final.result.payloads[0]?.text).toBe("Hello from the mock model.");
    // Without expectFinal the same method resolves on the ack.
    const ack = await client.request<{ status: string }>("agent", {
      message: "again",
      sessionKey: "client-test",
      idempotencyKey: "client-expect-final-2",
    });
    expect(ack.status).toBe("accepted");
  });

  it("delivers events to named and `*` listeners, and unsubscribes", async () => {
    await using gw = await startGateway({ config: { gateway: { tickIntervalMs: 1_000 } } });
    await using client = await GatewayClient.connect({ url: gw.url, token: TEST_TOKEN });
    const named: unknown[] = [];
    const all: string[] = [];
    const off = client.on("tick", (p) => named.push(p));
    client.on("*", (_p, f) => all.push(f.event));
    const ticks = () => all.filter((e) => e === "tick").length;
    await eventually(() => named.length >= 1, { timeoutMs: 3_000, message: "a tick" });
    expect(named[0]).toMatchObject({ ts: expect.any(Number) });
    expect(all).toContain("tick");
    off();
    const before = named.length;
    // The `*` listener sees the next tick; the named one, unsubscribed, must not.
    const seen = ticks();
    await eventually(() => ticks() > seen, { timeoutMs: 3_000, message: "the next tick" });
    expect(named.length).toBe(before);
  });

  it("waits out startup-sidecars inside its budget without surfacing it", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    await using gw = await startGateway({ waitReady: false, steps: [{ name: "held", run: () => held }] });
    let released = false;
    // The step stays held for a while: the client's first connects are refused with startup-sidecars.
    setTimeout(() => {
      released = true;
      release();
    }, 700);
    await using client = await GatewayClient.connect({
      url: gw.url,
      token: TEST_TOKEN,
      connectTimeoutMs: 5_000,
    });
    // Connected only once the step was let go: it waited the startup out instead of failing.
    expect(released).toBe(true);
    await expect(client.request("health")).resolves.toMatchObject({ ok: true });
  });

  it("says the gateway was still starting when the budget runs out", async () => {
    await using gw = await startGateway({
      waitReady: false,
      steps: [{ name: "held", run: (signal) => new Promise((r) => signal.addEventListener("abort", r)) }],
    });
    const err = await GatewayClient.connect({ url: gw.url, token: TEST_TOKEN, connectTimeoutMs: 900 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ kind: "timeout" });
    expect((err as Error).message).toMatch(/still starting after \d+ ms/);
  });

  it("reports a gateway shutdown as 1012 in words and rejects pending requests", async () => {
    const gw = await startGateway({ methods: [slow] as never });
    const client = await GatewayClient.connect({ url: gw.url, token: TEST_TOKEN });
    const statuses: ClientStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    const pending = client.request("test.slow", { ms: 5_000 }).catch((e: unknown) => e);
    await gw[Symbol.asyncDispose]();
    const err = await pending;
    expect(err).toBeInstanceOf(ClientError);
    expect(statuses[0]).toMatchObject({ type: "disconnected", code: 1012, willReconnect: false });
    expect((statuses[0] as { explanation: string }).explanation).toMatch(/restarting or shutting down/);
    expect(statuses.at(-1)).toMatchObject({ type: "closed" });
    expect(client.connected).toBe(false);
    await expect(client.request("health")).rejects.toMatchObject({ kind: "closed" });
    await client.close();
    expect(statuses.filter((s) => s.type === "closed")).toHaveLength(1);
  });

  it("with reconnect on, follows a gateway restart on the same port and works again", async () => {
    const first = await startGateway();
    const port = first.handle.port;
    await using client = await GatewayClient.connect({
      url: first.url,
      token: TEST_TOKEN,
      reconnect: { initialMs: 100, maxMs: 400 },
    });
    const statuses: ClientStatus[] = [];
    client.onStatus((s) => statuses.push(s));
    await first[Symbol.asyncDispose]();
    await eventually(() => expect(statuses.some((s) => s.type === "reconnecting")).toBe(true));
    await using second = await startGateway({ config: { gateway: { port } } });
    await eventually(() => expect(statuses.at(-1)?.type).toBe("connected"));
    expect(statuses[0]).toMatchObject({ type: "disconnected", code: 1012, willReconnect: true });
    await expect(client.request("status")).resolves.toMatchObject({ port: second.handle.port });
  });

  it("close() rejects what is pending, is idempotent, and `await using` disposes", async () => {
    await using gw = await startGateway({ methods: [slow] as never });
    const client = await GatewayClient.connect({ url: gw.url, token: TEST_TOKEN });
    const pending = client.request("test.slow", { ms: 5_000 }).catch((e: unknown) => e);
    await Promise.all([client.close(), client.close()]);
    expect(await pending).toMatchObject({ kind: "closed" });
    expect(client.connected).toBe(false);
    {
      await using c2 = await GatewayClient.connect({ url: gw.url, token: TEST_TOKEN });
      expect(c2.connected).toBe(true);
    }
    // No connection is left once both clients are gone (the gateway sees each close a moment later).
    await eventually(() => expect(gw.handle.context.connections.count()).toBe(0));
  });
});
