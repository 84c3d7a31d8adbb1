// GatewayClient.followSession: a session-scoped client gets its followed session's events, and
// follows it again after a reconnect (the gateway drops a socket's subscriptions with the socket).
import { describe, expect, it } from "vitest";
import { GatewayClient, SESSION_SCOPED_EVENTS } from "../../src/client/index.js";
import type { Connections } from "../../src/server/connections.js";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient } from "../helpers/ws.js";

describe("GatewayClient.followSession", () => {
  it("brings the followed session's events, and is renewed after a reconnect", async () => {
    await using env = await gatewayWithFakeVendor([step.reply("one"), step.reply("two")]);
    const connections = env.handle.context.connections as unknown as Connections;
    await using client = await GatewayClient.connect({
      url: env.url,
      token: TEST_TOKEN,
      scopes: ["operator.read"],
      caps: [SESSION_SCOPED_EVENTS],
      reconnect: { initialMs: 50, maxMs: 50 },
    });
    expect(await client.followSession("followed")).toBe("agent:main:followed");
    const finals: string[] = [];
    client.on("chat", (p) => {
      const e = p as { sessionKey: string; state: string };
      if (e.state === "final") finals.push(e.sessionKey);
    });
    await using writer = await openClient(env.url, { scopes: ["operator.read", "operator.write"] });
    const turn = async (sessionKey: string, id: string) => {
      await writer.request("chat.send", { sessionKey, message: "m", idempotencyKey: id });
      await writer.next((f) => f.event === "chat" && f.payload.runId === id && f.payload.state === "final");
    };
    await turn("unfollowed", "t0");
    await turn("followed", "t1");
    await eventually(() => expect(finals).toEqual(["agent:main:followed"]));

    // The gateway drops the client's socket; the client reconnects and follows the session again.
    const mine = () =>
      [...connections.all()].find((c) => c.identity?.client.id === "cli" && c.state === "open");
    const first = mine()!;
    first.ws.terminate();
    await eventually(
      () => {
        const next = mine();
        expect(next && next !== first && next.subscriptions.messages.has("agent:main:followed")).toBe(true);
      },
      { message: "the reconnected socket to follow the session again" },
    );
    await turn("followed", "t2");
    await eventually(() => expect(finals).toEqual(["agent:main:followed", "agent:main:followed"]));
  });
});
