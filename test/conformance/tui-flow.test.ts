// The real TUI's method sequence end to end (`openclaw tui --message`, as recorded): connect as the
// TUI, subscribe, read what the TUI reads, send the message, stream the reply, describe, close.
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { type Frame, TestSocket } from "../helpers/ws.js";
import { readRecording } from "./recording.js";

const REPLY = ["Hello", " from the mock model."];

async function tuiSocket(url: string, caps?: string[]) {
  const [rec] = readRecording("tui_tui_--message.jsonl");
  const s = await TestSocket.open(url);
  await s.event("connect.challenge");
  const params = { ...rec!.connect.params, auth: { token: TEST_TOKEN }, ...(caps ? { caps } : {}) };
  s.send({ ...rec!.connect, params });
  const hello = await s.response(rec!.connect.id);
  return { s, hello, rec: rec! };
}

const forRun = (runId: string) => (f: Frame) =>
  f.type === "event" && (f.event === "chat" || f.event === "agent") && f.payload.runId === runId;

describe("the TUI flow", () => {
  it("opens, shows the session, sends --message, streams the reply to its socket and closes cleanly", async () => {
    await using env = await gatewayWithFakeVendor([step.reply(REPLY.join(""), { chunks: REPLY })]);
    const { s, hello } = await tuiSocket(env.url);
    await using _s = s;
    expect(hello.ok).toBe(true);
    expect(hello.payload.auth.scopes).toEqual([
      "operator.admin",
      "operator.read",
      "operator.write",
      "operator.approvals",
    ]);
    const key = "agent:main:compat-tui";
    // The TUI's opening reads, in its order.
    expect((await s.request("sessions.subscribe", {})).payload).toEqual({ subscribed: true });
    expect((await s.request("agents.list", {})).payload).toMatchObject({
      defaultId: "main",
      mainKey: "main",
    });
    expect((await s.request("question.list", {})).payload).toEqual({ questions: [] });
    expect((await s.request("plugin.approval.list", {})).payload).toEqual([]);
    expect((await s.request("taskSuggestions.list", {})).payload).toEqual({ suggestions: [] });
    const history = await s.request("chat.history", { sessionKey: key, limit: 200 });
    expect(history.payload).toMatchObject({ sessionKey: key, messages: [] });

    // --message: chat.send, with commands.list sent right behind it before the ack.
    s.send({
      type: "req",
      id: "send-1",
      method: "chat.send",
      params: { sessionKey: key, message: "hello from the tui", deliver: false, idempotencyKey: "tui-run-1" },
    });
    s.send({
      type: "req",
      id: "cmds-1",
      method: "commands.list",
      params: { agentId: "main", scope: "text", includeArgs: false },
    });
    expect((await s.response("send-1")).payload).toEqual({ runId: "tui-run-1", status: "started" });
    expect((await s.response("cmds-1")).payload).toEqual({ commands: [] });
    const final = await s.next(
      (f) => forRun("tui-run-1")(f) && f.event === "chat" && f.payload.state === "final",
    );
    expect(final.payload.message.content).toEqual([{ type: "text", text: REPLY.join("") }]);

    // The stream the TUI renders: status phases, the lifecycle start, deltas, then the final.
    const run = s.frames.filter(forRun("tui-run-1"));
    const chatStates = run.filter((f) => f.event === "chat").map((f) => f.payload.state);
    expect(chatStates[0]).toBe("status");
    expect(chatStates.filter((st) => st === "delta").length).toBe(2);
    expect(chatStates.at(-1)).toBe("final");
    const lifecycle = run.filter((f) => f.event === "agent" && f.payload.stream === "lifecycle");
    expect(lifecycle.map((f) => f.payload.data.phase)).toEqual(["start", "model", "end"]);
    // sessions.subscribe brought this session's change notices.
    await s.next((f) => f.event === "sessions.changed" && f.payload.reason === "run-ended");
    const seqs = s.frames.filter((f) => f.type === "event" && f.seq !== undefined).map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));

    // After the turn the TUI describes the session and lists the agent's newest one.
    const described = (await s.request("sessions.describe", { key })).payload.session;
    expect(described).toMatchObject({ key, kind: "direct", agentId: "main", hasActiveRun: false });
    const list = (await s.request("sessions.list", { agentId: "main", limit: 1 })).payload;
    expect(list.sessions.map((r: Frame) => r.key)).toEqual([key]);
    const after = await s.request("chat.history", { sessionKey: key, limit: 200 });
    expect(after.payload.messages.map((m: Frame) => m.role)).toEqual(["user", "assistant"]);

    // Clean close: the gateway drops the socket, its subscriptions and its presence.
    s.close();
    expect((await s.closed).code).toBe(1005);
    const connections = env.handle.context.connections;
    await expect.poll(() => connections.count()).toBe(0);
    await expect.poll(() => connections.presence().length).toBe(1);
  });

  it("with session-scoped-events and sessions.messages.subscribe, the TUI's socket gets its session's stream and rows", async () => {
    await using env = await gatewayWithFakeVendor([
      step.reply(REPLY.join(""), { chunks: REPLY }),
      step.reply("x"),
    ]);
    const { s } = await tuiSocket(env.url, ["tool-events", "session-scoped-events"]);
    await using _s = s;
    const key = "agent:main:compat-tui";
    expect((await s.request("sessions.messages.subscribe", { key })).payload).toEqual({
      subscribed: true,
      key,
    });
    // Another client's turn elsewhere never reaches this socket.
    await using other = await TestSocket.open(env.url);
    await other.connect({ scopes: ["operator.write"] });
    await other.request("chat.send", { sessionKey: "elsewhere", message: "x", idempotencyKey: "other-1" });
    await other.next((f) => f.event === "chat" && f.payload.state === "final");
    // A turn in the TUI's session started by someone else still streams here (it follows the session).
    await other.request("chat.send", {
      sessionKey: key,
      message: "hello from the tui",
      idempotencyKey: "tui-2",
    });
    await s.next((f) => forRun("tui-2")(f) && f.event === "chat" && f.payload.state === "final");
    const rows = s.frames.filter((f) => f.event === "session.message");
    expect(rows.map((f) => [f.payload.message.role, f.payload.messageSeq])).toEqual([
      ["user", 1],
      ["assistant", 2],
    ]);
    expect(s.frames.some((f) => f.payload?.sessionKey === "agent:main:elsewhere")).toBe(false);
  });
});
