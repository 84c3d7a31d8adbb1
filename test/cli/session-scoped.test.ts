// keel chat and keel agent connect with session-scoped-events and follow their own session.
import { describe, expect, it } from "vitest";
import type { Connections } from "../../src/server/connections.js";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient } from "../helpers/ws.js";
import { keel, keelInteractive } from "./run.js";

describe("the CLI's session-scoped connections", () => {
  it("keel chat follows its session with the cap, and still streams its replies while others chat", async () => {
    await using env = await gatewayWithFakeVendor((req) => step.reply(`echo ${req.body.messages.length}`));
    const cli = { KEEL_GATEWAY_URL: env.url, KEEL_GATEWAY_TOKEN: TEST_TOKEN };
    const connections = env.handle.context.connections as unknown as Connections;
    await using chat = keelInteractive(["chat", "--session-key", "scoped-cli"], cli);
    const conn = await eventually(
      () => {
        const c = [...connections.all()].find((x) => x.identity?.client.id === "cli");
        expect(c?.subscriptions.messages.has("agent:main:scoped-cli")).toBe(true);
        return c!;
      },
      { message: "keel chat to connect and follow its session" },
    );
    expect(conn.identity?.caps).toEqual(["session-scoped-events"]);
    expect(conn.sessionScoped).toBe(true);

    // Another client's turn in another session: none of its events reach the chat's socket.
    await using other = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    await other.request("chat.send", { sessionKey: "elsewhere", message: "x", idempotencyKey: "else-1" });
    await other.next((f) => f.event === "chat" && f.payload.state === "final");
    chat.line("hello");
    chat.child.stdin!.end();
    const { code } = await chat.exited;
    expect(chat.stderr()).toBe("");
    expect(code).toBe(0);
    expect(chat.stdout()).toBe("assistant: echo 1\n");
  });

  it("keel agent connects with the cap, follows its session and gets its reply", async () => {
    // Slow chunks keep the run (and the CLI's socket) alive while the gateway side is inspected.
    await using env = await gatewayWithFakeVendor([
      step.reply("agent reply", { chunks: ["agent", " reply"], delayMs: 300 }),
    ]);
    const cli = { KEEL_GATEWAY_URL: env.url, KEEL_GATEWAY_TOKEN: TEST_TOKEN };
    const connections = env.handle.context.connections as unknown as Connections;
    const run = keel(["agent", "-m", "hi", "--session-key", "scoped-agent"], cli);
    const conn = await eventually(
      () => {
        const c = [...connections.all()].find((x) => x.identity?.client.id === "cli");
        expect(c?.subscriptions.messages.has("agent:main:scoped-agent")).toBe(true);
        return c!;
      },
      { message: "keel agent to connect and follow its session" },
    );
    expect(conn.sessionScoped).toBe(true);
    const res = await run;
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toBe("agent reply\n");
  });
});
