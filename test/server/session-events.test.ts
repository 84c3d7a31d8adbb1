// Session-scoped event fan-out: the session-scoped-events cap, subscriptions per socket, their cap.
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { type Frame, openClient, type TestSocket } from "../helpers/ws.js";

const SCOPED = { caps: ["session-scoped-events"], scopes: ["operator.read", "operator.write"] };
const PLAIN = { scopes: ["operator.read", "operator.write"] };

const finalOf = (runId: string) => (f: Frame) =>
  f.type === "event" && f.event === "chat" && f.payload.runId === runId && f.payload.state === "final";
const runEvents = (s: TestSocket) =>
  s.frames.filter((f) => f.type === "event" && (f.event === "chat" || f.event === "agent"));
const sessionsOf = (frames: Frame[]) => new Set(frames.map((f) => f.payload.sessionKey));

async function send(s: TestSocket, sessionKey: string, runId: string) {
  const ack = await s.request("chat.send", { sessionKey, message: "hi", idempotencyKey: runId });
  expect(ack.ok).toBe(true);
}

describe("session-scoped events", () => {
  it("a capped client gets only its subscribed sessions and its own runs; an uncapped one gets all", async () => {
    await using env = await gatewayWithFakeVendor([
      step.reply("one"),
      step.reply("two"),
      step.reply("three"),
    ]);
    await using watcher = await openClient(env.url, SCOPED);
    await using starter = await openClient(env.url, SCOPED);
    await using plain = await openClient(env.url, PLAIN);
    const sub = await watcher.request("sessions.messages.subscribe", { key: "a" });
    expect(sub.payload).toEqual({ subscribed: true, key: "agent:main:a" });

    await send(starter, "a", "run-a");
    await send(starter, "b", "run-b");
    await send(plain, "c", "run-c");
    for (const id of ["run-a", "run-b", "run-c"]) await plain.next(finalOf(id));
    await watcher.next(finalOf("run-a"));
    await starter.next(finalOf("run-a"));
    await starter.next(finalOf("run-b"));

    // The watcher subscribed to a: a's run events and its transcript rows, nothing of b or c.
    expect(sessionsOf(runEvents(watcher))).toEqual(new Set(["agent:main:a"]));
    const messages = watcher.frames.filter((f) => f.event === "session.message");
    expect(messages.map((f) => [f.payload.message.role, f.payload.sessionKey])).toEqual([
      ["user", "agent:main:a"],
      ["assistant", "agent:main:a"],
    ]);
    expect(messages[1].payload.message.content).toEqual([{ type: "text", text: "one" }]);
    expect(messages[1].payload.messageSeq).toBe(2);
    // The starter subscribed to nothing: it still follows both runs it started, and not c.
    expect(sessionsOf(runEvents(starter))).toEqual(new Set(["agent:main:a", "agent:main:b"]));
    expect(starter.frames.some((f) => f.event === "session.message")).toBe(false);
    // The uncapped client keeps the broadcast: every session's run events.
    expect(sessionsOf(runEvents(plain))).toEqual(new Set(["agent:main:a", "agent:main:b", "agent:main:c"]));
    // sessions.changed goes to subscribers only: the watcher for a; the others asked for none.
    const changed = (s: TestSocket) => s.frames.filter((f) => f.event === "sessions.changed");
    expect(sessionsOf(changed(watcher))).toEqual(new Set(["agent:main:a"]));
    expect(changed(plain)).toEqual([]);
  });

  it("sessions.subscribe brings sessions.changed for every session; unsubscribe stops it", async () => {
    await using env = await gatewayWithFakeVendor([step.reply("x"), step.reply("y")]);
    await using s = await openClient(env.url, SCOPED);
    expect((await s.request("sessions.subscribe", {})).payload).toEqual({ subscribed: true });
    await send(s, "one", "r1");
    await s.next(finalOf("r1"));
    const ended = await s.next((f) => f.event === "sessions.changed" && f.payload.reason === "run-ended");
    expect(ended.payload).toMatchObject({ sessionKey: "agent:main:one", agentId: "main" });

    expect((await s.request("sessions.unsubscribe", {})).payload).toEqual({ subscribed: false });
    const before = s.frames.length;
    await send(s, "two", "r2");
    await s.next(finalOf("r2"));
    expect(s.frames.slice(before).filter((f) => f.event === "sessions.changed")).toEqual([]);

    // With sessions.list params, the answer carries the list as well.
    const withList = await s.request("sessions.subscribe", { limit: 5 });
    expect(withList.payload.subscribed).toBe(true);
    expect(withList.payload.list.sessions.map((r: Frame) => r.key).sort()).toEqual([
      "agent:main:one",
      "agent:main:two",
    ]);
  });

  it("unsubscribing a session stops its events; subscriptions are capped per socket and end with it", async () => {
    await using env = await gatewayWithFakeVendor([step.reply("x"), step.reply("y")], {
      config: { gateway: { maxSessionSubscriptions: 2 } },
    });
    await using watcher = await openClient(env.url, SCOPED);
    await using starter = await openClient(env.url, PLAIN);
    await watcher.request("sessions.messages.subscribe", { key: "a" });
    await watcher.request("sessions.messages.subscribe", { key: "b" });
    const over = await watcher.request("sessions.messages.subscribe", { key: "c" });
    expect(over.ok).toBe(false);
    expect(over.error).toMatchObject({
      code: "INVALID_REQUEST",
      details: { code: "SUBSCRIPTION_LIMIT", limit: 2 },
    });
    // Resubscribing a key it holds is not a new one.
    expect((await watcher.request("sessions.messages.subscribe", { key: "agent:main:a" })).ok).toBe(true);

    const off = await watcher.request("sessions.messages.unsubscribe", { key: "a" });
    expect(off.payload).toEqual({ subscribed: false, key: "agent:main:a" });
    await send(starter, "a", "ra");
    await send(starter, "b", "rb");
    await watcher.next(finalOf("rb"));
    await starter.next(finalOf("ra"));
    expect(sessionsOf(runEvents(watcher))).toEqual(new Set(["agent:main:b"]));
    // Room again after the unsubscribe.
    expect((await watcher.request("sessions.messages.subscribe", { key: "c" })).ok).toBe(true);

    const connections = env.handle.context.connections as unknown as { subscribedKeys(): number };
    expect(connections.subscribedKeys()).toBe(2);
    watcher.close();
    await watcher.closed;
    await expect.poll(() => connections.subscribedKeys()).toBe(0);
  });
});
