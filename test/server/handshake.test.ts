import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startGateway, TEST_TOKEN } from "../helpers/gateway.js";
import { connectFrame, type Frame, openClient, TestSocket } from "../helpers/ws.js";

const WIRE = join(import.meta.dirname, "../fixtures/wire");
const jsonl = (file: string): Frame[] =>
  readFileSync(join(WIRE, file), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

/** What each recorded edge case sent (the recording keeps only the server's side). */
const EDGE_SENDS: Record<string, (p: Frame) => Frame> = {
  "no-role": () => connectFrame({ scopes: ["operator.read"] }, "1"),
  "no-client-version": () => connectFrame({ client: { id: "test", platform: "linux", mode: "test" } }, "1"),
  "unknown-client-id": () =>
    connectFrame({ client: { id: "nope", version: "1", platform: "linux", mode: "test" } }, "1"),
  "unknown-mode": () =>
    connectFrame({ client: { id: "test", version: "1", platform: "linux", mode: "nope" } }, "1"),
  "protocol-5": () => connectFrame({ minProtocol: 5, maxProtocol: 5 }, "1"),
  "protocol-3-4": () => connectFrame({ minProtocol: 3, maxProtocol: 4, scopes: ["operator.read"] }, "1"),
  "extra-unknown-field": () => connectFrame({ foo: 1 }, "1"),
  "first-frame-not-connect": () => ({ type: "req", id: "1", method: "health", params: {} }),
  "connect-before-challenge": () => connectFrame({ scopes: ["operator.read"] }, "1"),
};

describe("connect handshake", () => {
  it("answers every recorded edge case with the reference's code, details code, message and close code", async () => {
    await using gw = await startGateway();
    const cases = jsonl("connect-edge-cases.jsonl");
    expect(cases.map((c) => c.case).sort()).toEqual(Object.keys(EDGE_SENDS).sort());
    for (const c of cases) {
      const build = EDGE_SENDS[c.case]!;
      const expectedRes = c.frames.find((f: Frame) => f.f?.type === "res")?.f;
      const expectedClose = c.frames.find((f: Frame) => f.close !== undefined);
      await using s = await TestSocket.open(gw.url);
      // connect-before-challenge: sent at once on open, without waiting for the challenge.
      if (c.case !== "connect-before-challenge") await s.event("connect.challenge");
      s.send(build({}));
      const res = await s.next((f) => f.type === "res");
      const challenge = s.frames[0];
      expect(challenge.event, c.case).toBe("connect.challenge");
      expect(Object.keys(challenge.payload).sort()).toEqual(["capabilities", "nonce", "ts"]);
      // Keel returns no model-catalog snapshot, so it announces no capability before connect.
      expect(challenge.payload.capabilities).toEqual([]);
      expect(res.ok, c.case).toBe(expectedRes.ok);
      if (expectedRes.ok) {
        expect(res.payload.type).toBe("hello-ok");
        expect(res.payload.protocol).toBe(expectedRes.protocol);
        expect(res.payload.auth.scopes).toEqual(expectedRes.scopes);
        continue;
      }
      expect(res.id, c.case).toBe(expectedRes.id);
      expect(res.error.code, c.case).toBe(expectedRes.error.code);
      expect(res.error.message, c.case).toBe(expectedRes.error.message);
      expect(res.error.details?.code, c.case).toBe(expectedRes.error.details?.code);
      if (expectedRes.error.details) expect(res.error.details, c.case).toEqual(expectedRes.error.details);
      const closed = await s.closed;
      expect(closed.code, c.case).toBe(expectedClose.close);
      expect(closed.reason, c.case).toBe(expectedClose.reason);
    }
  });

  it("accepts the connect frames of the reference CLI and of openclaw-node (device block included)", async () => {
    await using gw = await startGateway();
    for (const file of ["cli-gateway-call-health.jsonl", "openclaw-node-chat.jsonl"]) {
      const sent = jsonl(file).find((l) => l.dir === "c2s" && l.frame.method === "connect").frame;
      await using s = await TestSocket.open(gw.url);
      s.send(sent);
      const res = await s.response(sent.id);
      expect(res.ok, file).toBe(true);
      expect(res.payload.auth.scopes).toEqual(sent.params.scopes);
      // The CLI's next request works on that connection.
      const health = await s.request("health", {});
      expect(health.ok).toBe(true);
    }
  });

  it("hello-ok has all five blocks with only the reference's field names", async () => {
    await using gw = await startGateway();
    await using s = await TestSocket.open(gw.url);
    const res = await s.connect({ scopes: ["operator.admin"] });
    const hello = res.payload;
    expect(Object.keys(hello).sort()).toEqual(
      ["auth", "features", "policy", "protocol", "server", "snapshot", "type"].sort(),
    );
    expect(hello.server).toEqual({ version: "0.1.0", connId: expect.any(String) });
    expect(hello.features.methods).toEqual(
      expect.arrayContaining(["health", "status", "system-presence", "logs.tail", "config.get"]),
    );
    expect(hello.features.methods).toEqual(
      expect.arrayContaining([
        "chat.send",
        "chat.history",
        "sessions.list",
        "agent",
        "agent.wait",
        "models.list",
      ]),
    );
    // Only what Keel serves: none of the reference's other families.
    expect(hello.features.methods).not.toContain("tts.status");
    expect(hello.features.events).toEqual(
      expect.arrayContaining(["chat", "agent", "sessions.changed", "session.message"]),
    );
    // What Keel honours, and nothing it does not (the reference lists canvas, node workers, …).
    expect(hello.features.capabilities).toEqual(["published-model-catalog"]);
    expect(hello.features.events).toEqual(
      expect.arrayContaining(["connect.challenge", "tick", "presence", "health", "shutdown"]),
    );
    const snapshotKeys = ["presence", "health", "stateVersion", "uptimeMs", "sessionDefaults", "authMode"];
    expect(Object.keys(hello.snapshot).sort()).toEqual(snapshotKeys.sort());
    const healthKeys = ["ok", "ts", "durationMs", "eventLoop", "defaultAgentId"];
    for (const k of Object.keys(hello.snapshot.health)) expect(healthKeys).toContain(k);
    expect(hello.snapshot.sessionDefaults).toEqual({
      defaultAgentId: "main",
      mainKey: "main",
      mainSessionKey: "agent:main:main",
    });
    expect(hello.snapshot.authMode).toBe("token");
    const presenceKeys = [
      "ts",
      "host",
      "ip",
      "version",
      "platform",
      "deviceFamily",
      "mode",
      "reason",
      "text",
      "deviceId",
      "roles",
      "scopes",
      "instanceId",
    ];
    for (const p of hello.snapshot.presence)
      for (const k of Object.keys(p)) expect(presenceKeys).toContain(k);
    expect(hello.snapshot.presence.some((p: Frame) => p.reason === "self")).toBe(true);
    expect(hello.auth).toEqual({ role: "operator", scopes: ["operator.admin"], method: "token" });
    expect(hello.policy).toEqual({
      maxPayload: 25 * 1024 * 1024,
      maxBufferedBytes: 50 * 1024 * 1024,
      tickIntervalMs: 30_000,
      // mediaMaxMb's 20 MiB would not fit a 25 MiB frame as base64: what does fit is advertised.
      attachments: { maxBytes: ((25 * 1024 - 64) * 1024 * 3) / 4, maxImageBytes: 6 * 1024 * 1024 },
    });
  });

  it("grants read+write when no scopes are asked for", async () => {
    await using gw = await startGateway();
    await using s = await TestSocket.open(gw.url);
    const res = await s.connect();
    expect(res.payload.auth.scopes).toEqual(["operator.read", "operator.write"]);
  });

  it("refuses a missing or wrong token with the reference's details codes and close 1008", async () => {
    await using gw = await startGateway();
    for (const [auth, code] of [
      [undefined, "AUTH_TOKEN_MISSING"],
      [{ token: "wrong" }, "AUTH_TOKEN_MISMATCH"],
      [{ password: TEST_TOKEN }, "AUTH_TOKEN_MISSING"],
    ] as const) {
      await using s = await TestSocket.open(gw.url);
      const frame = connectFrame();
      if (auth === undefined) delete frame.params.auth;
      else frame.params.auth = auth;
      s.send(frame);
      const res = await s.response("c1");
      expect(res.ok).toBe(false);
      expect(res.error.code).toBe("INVALID_REQUEST");
      expect(res.error.message).toMatch(/^unauthorized: gateway token (missing|mismatch)/);
      expect(res.error.details.code).toBe(code);
      expect((await s.closed).code).toBe(1008);
    }
  });

  it("password mode: missing and wrong password are refused, the right one accepted", async () => {
    await using gw = await startGateway({
      config: { gateway: { auth: { mode: "password", password: "hunter22" } } },
    });
    for (const [auth, code] of [
      [{ token: TEST_TOKEN }, "AUTH_PASSWORD_MISSING"],
      [{ password: "nope" }, "AUTH_PASSWORD_MISMATCH"],
    ] as const) {
      await using s = await TestSocket.open(gw.url);
      const res = await s.connect({ auth });
      expect(res.error.details.code).toBe(code);
      expect((await s.closed).code).toBe(1008);
    }
    await using ok = await openClient(gw.url, { auth: { password: "hunter22" } });
    expect((await ok.request("health")).ok).toBe(true);
  });

  it("auth mode none needs no secret", async () => {
    await using gw = await startGateway({ config: { gateway: { auth: { mode: "none" } } } });
    await using s = await TestSocket.open(gw.url);
    const res = await s.connect({ auth: undefined });
    expect(res.ok).toBe(true);
    expect(res.payload.snapshot.authMode).toBe("none");
  });

  it("locks a client (address, no Origin) out after maxAttempts failures (loopback exemption off), even with the right token", async () => {
    await using gw = await startGateway({
      config: {
        gateway: { auth: { rateLimit: { maxAttempts: 3, exemptLoopback: false, lockoutMs: 60_000 } } },
      },
    });
    for (let i = 0; i < 3; i++) {
      await using s = await TestSocket.open(gw.url);
      const res = await s.connect({ auth: { token: `wrong-${i}` } });
      expect(res.error.details.code).toBe("AUTH_TOKEN_MISMATCH");
    }
    await using s = await TestSocket.open(gw.url);
    const res = await s.connect();
    expect(res.ok).toBe(false);
    expect(res.error.code).toBe("INVALID_REQUEST");
    expect(res.error.details.code).toBe("AUTH_RATE_LIMITED");
    expect(res.error.retryable).toBe(true);
    expect(res.error.retryAfterMs).toBeGreaterThan(50_000);
    expect(res.error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((await s.closed).code).toBe(1008);
  });

  it("the lockout is per (address, Origin or none): a browser page's failures never lock out a client without an Origin", async () => {
    await using gw = await startGateway({
      config: { gateway: { auth: { rateLimit: { maxAttempts: 3, lockoutMs: 60_000 } } } },
    });
    const page = `http://127.0.0.1:${gw.handle.port}`;
    const from = async (origin: string | undefined, token?: string) => {
      const s = await TestSocket.open(gw.url, origin === undefined ? {} : { origin });
      const res = await s.connect(token === undefined ? {} : { auth: { token } });
      s.ws.terminate();
      return res;
    };
    for (let i = 0; i < 3; i++)
      expect((await from(page, `wrong-${i}`)).error.details.code).toBe("AUTH_TOKEN_MISMATCH");
    // The page (and a spelling variant of its origin) is locked out, even with the right token…
    expect((await from(page)).error.details.code).toBe("AUTH_RATE_LIMITED");
    expect((await from(page.toUpperCase().replace("HTTP", "http"))).error.details.code).toBe(
      "AUTH_RATE_LIMITED",
    );
    // …while the CLI at the same address, sending no Origin, still connects.
    expect((await from(undefined)).ok).toBe(true);
    // Another allowed origin at the same address has its own count.
    expect((await from(`http://localhost:${gw.handle.port}`)).ok).toBe(true);
  });

  it("loopback is exempt from the limiter by default", async () => {
    await using gw = await startGateway({ config: { gateway: { auth: { rateLimit: { maxAttempts: 1 } } } } });
    for (let i = 0; i < 3; i++) {
      await using s = await TestSocket.open(gw.url);
      expect((await s.connect({ auth: { token: "wrong" } })).error.details.code).toBe("AUTH_TOKEN_MISMATCH");
    }
    await using ok = await openClient(gw.url);
    expect((await ok.request("health")).ok).toBe(true);
  });

  it("refuses an invalid role with 1008 and a second connect on an open connection", async () => {
    await using gw = await startGateway();
    await using bad = await TestSocket.open(gw.url);
    const res = await bad.connect({ role: "root" });
    expect(res.error).toMatchObject({ code: "INVALID_REQUEST", message: "invalid role" });
    expect((await bad.closed).code).toBe(1008);

    await using s = await openClient(gw.url);
    const again = await s.connect();
    expect(again.error.code).toBe("INVALID_REQUEST");
    expect((await s.request("health")).ok).toBe(true);
  });

  it("protocol 3 is accepted only from probes (minimumProbeProtocol)", async () => {
    await using gw = await startGateway();
    await using probe = await TestSocket.open(gw.url);
    const client = { id: "openclaw-probe", version: "1", platform: "linux", mode: "probe" };
    expect((await probe.connect({ minProtocol: 3, maxProtocol: 3, client })).ok).toBe(true);
    await using cli = await TestSocket.open(gw.url);
    const res = await cli.connect({ minProtocol: 3, maxProtocol: 3 });
    expect(res.error.details.code).toBe("PROTOCOL_MISMATCH");
    expect((await cli.closed).code).toBe(1002);
  });

  it("caps the close reason at 120 bytes without splitting a character", async () => {
    await using gw = await startGateway();
    await using s = await TestSocket.open(gw.url);
    const res = await s.connect({ ["é".repeat(100)]: 1 });
    expect(res.error.message.length).toBeGreaterThan(120);
    const closed = await s.closed;
    expect(closed.code).toBe(1008);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(120);
    expect(closed.reason).not.toContain("\uFFFD");
    expect(res.error.message.startsWith(closed.reason)).toBe(true);
  });

  it("a non-JSON first frame closes 1008 with a printable reason", async () => {
    await using gw = await startGateway();
    await using s = await TestSocket.open(gw.url);
    s.send("hello?");
    const closed = await s.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toContain("first request must be connect");
  });
});
