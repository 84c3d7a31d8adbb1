// Answers the reference CLI reads fields from, against a real gateway and compared with the
// recorded answers (names and JSON types; ids, times and paths aside): health, agent.wait,
// chat.inject, system-presence, agents.list, and logs.tail lines in the reference's log format.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { loadConfig } from "../../src/config/load.js";
import { createLogger, logDir } from "../../src/lifecycle/logger.js";
import { wireLogLine } from "../../src/methods/logs.js";
import { start } from "../../src/server/start.js";
import { startFakeOpenAI } from "../fixtures/fake-openai.js";
import { merge, TEST_TOKEN } from "../helpers/gateway.js";
import { tempDir } from "../helpers/process.js";
import { eventually } from "../helpers/eventually.js";
import { exchange, pick, shapeGaps } from "../helpers/recorded.js";
import { fakeVendorConfig, gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient } from "../helpers/ws.js";

/**
 * What the reference CLI makes of a log line (`openclaw logs`): the time from `time` (a string)
 * or `_meta.date`, the level from `_meta.logLevelName`, the message from the numbered fields
 * joined by spaces (objects as JSON). Written from the behaviour its output shows.
 */
function cliParse(raw: string): { time?: string; level?: string; message: string } {
  const rec = JSON.parse(raw) as Record<string, unknown>;
  const meta = (rec["_meta"] ?? {}) as Record<string, unknown>;
  const message = Object.keys(rec)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => (typeof rec[k] === "string" ? (rec[k] as string) : JSON.stringify(rec[k])))
    .join(" ");
  const time = typeof rec["time"] === "string" ? rec["time"] : (meta["date"] as string | undefined);
  const level = typeof meta["logLevelName"] === "string" ? meta["logLevelName"].toLowerCase() : undefined;
  return { ...(time ? { time } : {}), ...(level ? { level } : {}), message };
}

describe("result shapes the reference CLI reads", () => {
  it("health has agents, sessions, heartbeatSeconds and eventLoop as recorded", async () => {
    await using gw = await gatewayWithFakeVendor();
    await using s = await openClient(gw.url, { scopes: ["operator.read", "operator.write"] });
    await s.request("chat.send", { sessionKey: "compat", message: "hi", idempotencyKey: "h-1" });
    await s.next((f) => f.event === "chat" && f.payload.state === "final");
    const ref = exchange("call_health", "health");
    const res = await s.request("health", ref.params);
    const p = res.payload;
    const owned = ["ok", "ts", "durationMs", "heartbeatSeconds", "defaultAgentId", "agents", "sessions"];
    expect(shapeGaps(pick(ref.res.payload, owned), p, 2)).toEqual([]);
    const loopKeys = ["degraded", "degradedSinceMs", "reasons", "intervalMs", "delayP99Ms", "delayMaxMs"];
    expect(
      shapeGaps(pick(ref.res.payload.eventLoop, [...loopKeys, "utilization", "cpuCoreRatio"]), p.eventLoop),
    ).toEqual([]);
    const agentRef = ref.res.payload.agents[0];
    expect(shapeGaps(pick(agentRef, ["agentId", "isDefault", "sessions"]), p.agents[0], 2)).toEqual([]);
    expect(shapeGaps(pick(agentRef.heartbeat, ["enabled", "every"]), p.agents[0].heartbeat)).toEqual([]);
    expect(p.heartbeatSeconds).toBe(0);
    expect(p.sessions).toMatchObject({
      count: 1,
      recent: [{ key: "agent:main:compat", age: expect.any(Number) }],
    });
    expect(p.agents).toEqual([
      expect.objectContaining({
        agentId: "main",
        isDefault: true,
        sessions: expect.objectContaining({ count: 1 }),
      }),
    ]);
    // A scope-less probe sees the counts, not the session keys.
    await using probe = await openClient(gw.url, {
      client: { id: "cli", version: "1", platform: "linux", mode: "probe" },
      scopes: [],
    });
    const probed = (await probe.request("health", {})).payload;
    expect(probed.sessions).toMatchObject({ count: 1, recent: [] });
  });

  it("agent.wait has runId, stopReason, livenessState and terminalReply; agents.list ownership and selectionRequired", async () => {
    await using gw = await gatewayWithFakeVendor([{ type: "reply", text: "Hello from the mock model." }]);
    await using s = await openClient(gw.url, { scopes: ["operator.write"] });
    const agentRes = await s.request("agent", {
      message: "hi agent",
      sessionKey: "compat-agent",
      idempotencyKey: "w-1",
    });
    expect(agentRes.ok).toBe(true);
    const ref = exchange("call_agent.wait", "agent.wait");
    // The recorded call connects write-only: write implies read for agent.wait.
    const res = await s.request("agent.wait", { ...ref.params, runId: "w-1" });
    expect(res.ok).toBe(true);
    const owned = ["runId", "status", "endedAt", "stopReason", "livenessState", "terminalReply"];
    expect(shapeGaps(pick(ref.res.payload, owned), res.payload, 2)).toEqual([]);
    expect(res.payload).toMatchObject({
      runId: "w-1",
      status: "ok",
      stopReason: "stop",
      livenessState: "working",
      terminalReply: { disposition: "visible", text: "Hello from the mock model." },
    });

    const agents = exchange("call_agents.list", "agents.list");
    const list = await s.request("agents.list", agents.params);
    expect(
      shapeGaps(
        pick(agents.res.payload, ["defaultId", "ownership", "selectionRequired", "mainKey", "scope"]),
        list.payload,
      ),
    ).toEqual([]);
    expect(list.payload).toMatchObject({ ownership: "sole", selectionRequired: false });
  });

  it("chat.inject answers {ok, messageId}; system-presence entries carry ip, deviceFamily and text", async () => {
    await using gw = await gatewayWithFakeVendor();
    await using admin = await openClient(gw.url, {
      scopes: ["operator.admin"],
      client: { id: "cli", version: "1", platform: "linux", deviceFamily: "Linux", mode: "cli" },
    });
    const ref = exchange("call_chat.inject", "chat.inject");
    const res = await admin.request("chat.inject", ref.params);
    expect(shapeGaps(ref.res.payload, res.payload)).toEqual([]);
    const history = await admin.request("chat.history", { sessionKey: ref.params.sessionKey });
    expect(history.payload.messages.at(-1).__openclaw.id).toBe(res.payload.messageId);

    const pres = exchange("call_system-presence", "system-presence");
    const list = (await admin.request("system-presence", pres.params)).payload;
    const self = list.find((e: any) => e.reason === "self");
    expect(shapeGaps(pres.res.payload[0], self)).toEqual([]);
    expect(self.text).toBe(
      `Gateway: ${self.host} (${self.ip}) · app ${self.version} · mode gateway · reason self`,
    );
    const me = list.find((e: any) => e.mode === "cli");
    expect(me).toMatchObject({ deviceFamily: "Linux", ip: "127.0.0.1", text: "Node: 127.0.0.1 · mode cli" });
  });

  it("logs.tail lines parse as the reference CLI parses them: time, level and a message", async () => {
    await using fake = await startFakeOpenAI();
    using dir = tempDir();
    const { logger, close } = createLogger({
      level: "info",
      dir: logDir(dir.path),
      stdout: new PassThrough(),
    });
    const rawConfig = merge(
      { gateway: { port: 0, auth: { mode: "token", token: TEST_TOKEN } } },
      fakeVendorConfig(fake.url) as unknown as Record<string, unknown>,
    );
    const loaded = loadConfig({ path: join(dir.path, "keel.json"), raw: rawConfig, env: {} });
    const handle = await start({ config: loaded.config, stateDir: dir.path, loaded, logger });
    await handle.ready;
    await using _stop = {
      async [Symbol.asyncDispose]() {
        await handle.close("test done");
        await close();
      },
    };
    await using s = await openClient(handle.wsUrl, { scopes: ["operator.read", "operator.write"] });
    await s.request("chat.send", { sessionKey: "main", message: "hi", idempotencyKey: "l-1" });
    await s.next((f) => f.event === "chat" && f.payload.state === "final");
    const ref = exchange("logs_--json", "logs.tail");
    expect(ref.params).toEqual({ limit: 5, maxBytes: 250_000 });
    const recordedLines = ref.res.payload.lines.map(cliParse);
    expect(recordedLines.every((l: any) => l.time && l.level && l.message)).toBe(true);
    const res = await eventually(async () => {
      const r = await s.request("logs.tail", { limit: 50, maxBytes: 250_000 });
      expect(r.payload.lines.some((l: string) => l.includes("run finished"))).toBe(true);
      return r;
    });
    expect(shapeGaps(ref.res.payload, res.payload)).toEqual([]);
    const parsed = res.payload.lines.map(cliParse);
    const finished = parsed.find((l: any) => l.message.startsWith("run finished"));
    expect(finished).toMatchObject({ level: "info", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(finished.message).toContain('"runId":"l-1"');
    for (const l of parsed) expect(l.message).not.toBe("");
    // The line stays Keel's own JSON too (keel logs reads level, time and msg).
    const raw = JSON.parse(res.payload.lines.find((l: string) => l.includes("run finished")));
    expect(raw).toMatchObject({ level: 30, time: expect.any(Number), msg: "run finished", runId: "l-1" });
  });

  it("wireLogLine: subsystem lines name it in _meta.name; non-JSON lines pass unchanged", () => {
    const line = wireLogLine(JSON.stringify({ level: 40, time: 0, pid: 1, subsystem: "hooks", msg: "x" }));
    expect(JSON.parse(line)).toMatchObject({
      "0": "x",
      _meta: { logLevelName: "WARN", date: "1970-01-01T00:00:00.000Z", name: '{"subsystem":"hooks"}' },
    });
    expect(JSON.parse(line)["1"]).toBeUndefined();
    expect(wireLogLine("plain text")).toBe("plain text");
  });
});
