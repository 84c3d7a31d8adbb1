// `keel gateway call`: an idempotencyKey is generated for the methods whose schema requires one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scopesFor } from "../../src/cli/gateway-call.js";
import { methodsRequiringIdempotencyKey } from "../../src/cli/idempotency.js";
import { hasScope } from "../../src/protocol/scopes.js";
import { step } from "../fixtures/fake-openai.js";
import { startGateway } from "../helpers/gateway.js";
import { gatewayWithFakeVendor, type ProcessVendorGateway } from "../helpers/vendor-gateway.js";
import { keel, lastUser } from "./run.js";

let gw: ProcessVendorGateway;
beforeAll(async () => {
  gw = await gatewayWithFakeVendor((req) => step.reply(`Reply to: ${lastUser(req.body)}`), {
    mode: "process",
  });
}, 30_000);
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]();
});

describe("keel gateway call and idempotencyKey", () => {
  it("the CLI's list is what the gateway's own schemas require, method by method", async () => {
    await using real = await startGateway();
    const registry = real.handle.registry;
    const fromGateway = registry
      .methodNames()
      .filter((name) => (registry.get(name)!.def.params["required"] ?? []).includes("idempotencyKey"));
    expect(new Set(fromGateway)).toEqual(methodsRequiringIdempotencyKey());
    expect(fromGateway).toEqual(expect.arrayContaining(["chat.send", "agent"]));
  });

  it("asks for each method's own scope: read methods read only, admin methods admin", async () => {
    await using real = await startGateway();
    const registry = real.handle.registry;
    for (const name of registry.methodNames()) {
      const need = registry.get(name)!.def.scope;
      const asked = scopesFor(name);
      if (need !== "connected") expect(hasScope(asked, need), `${name} needs ${need}`).toBe(true);
      if (need === "operator.read" || need === "connected") expect(asked, name).toEqual(["operator.read"]);
      if (need === "operator.write") expect(asked, name).not.toContain("operator.admin");
    }
  });

  it("chat.send without a key gets one; --verbose says so on stderr, and the run uses it", async () => {
    const r = await keel(
      [
        "gateway",
        "call",
        "chat.send",
        "--verbose",
        "--params",
        '{"sessionKey":"call-idem","message":"hello"}',
      ],
      gw.env,
    );
    expect(r.code).toBe(0);
    const m = /^keel: chat\.send requires an idempotencyKey; using ([0-9a-f-]{36})\n$/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(JSON.parse(r.stdout)).toMatchObject({ runId: m![1] });
    const wait = await keel(
      ["gateway", "call", "agent.wait", "--params", JSON.stringify({ runId: m![1] })],
      gw.env,
    );
    expect(JSON.parse(wait.stdout)).toMatchObject({ status: "ok" });
  });

  it("agent --expect-final without a key runs; without --verbose nothing goes to stderr", async () => {
    const r = await keel(
      [
        "gateway",
        "call",
        "agent",
        "--expect-final",
        "--params",
        '{"message":"hi","sessionKey":"call-idem2"}',
      ],
      gw.env,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      status: "ok",
      runId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it("a key the caller gives is kept, and methods that take none get none", async () => {
    const mine = await keel(
      [
        "gateway",
        "call",
        "chat.send",
        "--verbose",
        "--params",
        '{"sessionKey":"call-idem3","message":"x","idempotencyKey":"my-key-1"}',
      ],
      gw.env,
    );
    expect(mine.stderr).toBe("");
    expect(JSON.parse(mine.stdout)).toMatchObject({ runId: "my-key-1" });
    // sessions.list's schema is closed: an added key would be refused as INVALID_REQUEST.
    const list = await keel(["gateway", "call", "sessions.list", "--verbose"], gw.env);
    expect(list.stderr).toBe("");
    expect(list.code).toBe(0);
  });
});
