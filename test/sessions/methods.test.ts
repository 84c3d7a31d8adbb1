import { Value } from "@sinclair/typebox/value";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentMethods, agentsList } from "../../src/methods/agents.js";
import type { Caller, MethodDef } from "../../src/methods/registry.js";
import {
  ChatHistoryParams,
  chatHistory,
  type SessionMethodsDeps,
  SessionsListParams,
  sessionMethods,
  sessionsDelete,
  sessionsList,
  sessionsPatch,
  sessionsReset,
} from "../../src/methods/sessions.js";
import type { SqliteSessionStore } from "../../src/sessions/sqlite.js";
import { makeConfig, tempSqliteStore } from "./helpers.js";

const caller: Caller = {
  connId: "c1",
  role: "operator",
  scopes: ["operator.read", "operator.write"],
  clientId: "test",
  clientMode: "test",
  signal: new AbortController().signal,
};

const config = makeConfig({
  agents: {
    defaults: { model: "mock/mock-model", models: { "mock/mock-model": { alias: "Mock" } } },
    entries: { ops: { name: "Ops" } },
  },
  models: {
    providers: {
      mock: { baseUrl: "http://127.0.0.1:9/v1", models: [{ id: "mock-model", contextWindow: 64_000 }] },
    },
  },
});

type AnyDef = MethodDef<any, SessionMethodsDeps>;
// Results are walked loosely here; their exact shapes are what the assertions pin down.

async function call(def: AnyDef, deps: SessionMethodsDeps, params: unknown): Promise<any> {
  expect(Value.Check(def.params, params), `params for ${def.name}: ${JSON.stringify(params)}`).toBe(true);
  return def.handler(deps, params, caller);
}

describe("session methods", () => {
  let store: SqliteSessionStore;
  let dispose: () => Promise<void>;
  let active: Map<string, string[]>;
  let deps: SessionMethodsDeps;
  beforeEach(async () => {
    ({ store, dispose } = await tempSqliteStore());
    active = new Map();
    deps = {
      store,
      config,
      runs: { activeRunIds: (k) => active.get(k) ?? [], inFlight: () => undefined },
    };
  });
  afterEach(() => dispose());

  it("declares the scopes of Keel's choices and closed schemas", () => {
    const scopes = Object.fromEntries([...sessionMethods, ...agentMethods].map((m) => [m.name, m.scope]));
    expect(scopes).toEqual({
      "sessions.list": "operator.read",
      "chat.history": "operator.read",
      "agents.list": "operator.read",
      "sessions.patch": "operator.write",
      "sessions.reset": "operator.admin",
      "sessions.delete": "operator.admin",
    });
    expect(Value.Check(SessionsListParams, { limit: 10, bogus: 1 })).toBe(false);
    expect(Value.Check(ChatHistoryParams, { sessionKey: "main", limit: 0 })).toBe(false);
    expect(Value.Check(ChatHistoryParams, {})).toBe(false);
  });

  it("sessions.list pages with totals, defaults, kinds and hasActiveRun", async () => {
    for (let i = 0; i < 5; i++) await store.ensure("main", `agent:main:s${i}`);
    await store.ensure("ops", "agent:ops:telegram:group:7");
    await store.ensure("main", "global");
    active.set("agent:main:s4", ["run-1"]);
    const first = await call(sessionsList, deps, { limit: 4 });
    expect(first).toMatchObject({
      path: store.path,
      count: 4,
      totalCount: 6,
      limitApplied: 4,
      hasMore: true,
      nextOffset: 4,
      defaults: { modelProvider: "mock", model: "mock-model", contextTokens: 64_000 },
    });
    const all = await call(sessionsList, deps, {});
    expect(all.limitApplied).toBe(100);
    expect(all.nextOffset).toBeNull();
    const byKey = Object.fromEntries(all.sessions.map((s: { key: string }) => [s.key, s]));
    expect(byKey["agent:ops:telegram:group:7"].kind).toBe("group");
    expect(byKey["agent:main:s4"]).toMatchObject({ kind: "direct", hasActiveRun: true });
    expect(byKey["agent:main:s0"].hasActiveRun).toBe(false);
    expect(byKey.global).toBeUndefined();
    const withGlobal = await call(sessionsList, deps, { includeGlobal: true });
    expect(withGlobal.totalCount).toBe(7);
    expect((await call(sessionsList, deps, { agentId: "ops" })).totalCount).toBe(1);
    expect(
      (await call(sessionsList, deps, { search: "s3" })).sessions.map((s: { key: string }) => s.key),
    ).toEqual(["agent:main:s3"]);
  });

  it("sessions.patch sets a label and a strict model override, creating the session if needed", async () => {
    const res = await call(sessionsPatch, deps, { key: "main", label: "Home", model: "mock/mock-model" });
    expect(res).toMatchObject({
      ok: true,
      path: store.path,
      key: "agent:main:main",
      entry: { label: "Home", providerOverride: "mock", modelOverride: "mock-model" },
    });
    const listed = await call(sessionsList, deps, {});
    expect(listed.sessions[0]).toMatchObject({ label: "Home", model: "mock-model", modelProvider: "mock" });
    const cleared = await call(sessionsPatch, deps, { key: "main", model: null });
    expect(cleared.entry.modelOverride).toBeUndefined();
    await expect(call(sessionsPatch, deps, { key: "main", model: "nope/x" })).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
    await expect(call(sessionsPatch, deps, { key: "main", model: "no-slash" })).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      message: expect.stringContaining("aliases: Mock"),
    });
    // An alias is stored as the ref it names.
    const aliased = await call(sessionsPatch, deps, { key: "main", model: "mock" });
    expect(aliased.entry).toMatchObject({ providerOverride: "mock", modelOverride: "mock-model" });
  });

  it("sessions.list configuredAgentsOnly leaves out sessions of agents the config no longer defines", async () => {
    await store.ensure("main", "agent:main:a");
    await store.ensure("ops", "agent:ops:b");
    await store.ensure("gone", "agent:gone:c");
    const keys = async (params: object) =>
      (await call(sessionsList, deps, params)).sessions.map((r: { key: string }) => r.key).sort();
    expect(await keys({})).toEqual(["agent:gone:c", "agent:main:a", "agent:ops:b"]);
    expect(await keys({ configuredAgentsOnly: true })).toEqual(["agent:main:a", "agent:ops:b"]);
    expect((await call(sessionsList, deps, { configuredAgentsOnly: true })).totalCount).toBe(2);
  });

  it("sessions.reset gives a new sessionId under the same key", async () => {
    const { entry } = await store.ensure("main", "agent:main:main");
    const res = await call(sessionsReset, deps, { key: "main" });
    expect(res).toMatchObject({ ok: true, key: "agent:main:main" });
    expect(res.entry.sessionId).not.toBe(entry.sessionId);
  });

  it("sessions.delete archives (listable) and can purge; a busy session's transcript is not purged", async () => {
    const { entry } = await store.ensure("main", "agent:main:a");
    const res = await call(sessionsDelete, deps, { key: "a" });
    expect(res).toMatchObject({ ok: true, key: "agent:main:a", deleted: true, archived: [entry.sessionId] });
    expect((await call(sessionsList, deps, { retired: true })).sessions[0]).toMatchObject({
      sessionId: entry.sessionId,
    });
    await expect(call(sessionsDelete, deps, { key: "a" })).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    await store.ensure("main", "agent:main:b");
    active.set("agent:main:b", ["r"]);
    await expect(call(sessionsDelete, deps, { key: "b", deleteTranscript: true })).rejects.toMatchObject({
      details: { code: "SESSION_BUSY" },
    });
    active.clear();
    const purged = await call(sessionsDelete, deps, { key: "b", deleteTranscript: true });
    expect(purged.archived).toEqual([]);
    expect((await call(sessionsList, deps, { retired: true })).totalCount).toBe(1);
  });

  it("chat.history returns the last N in the reference shape, with paging and sessionInfo", async () => {
    const { entry } = await store.ensure("main", "agent:main:main");
    for (let i = 1; i <= 6; i++) {
      await store.appendMessage({
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        role: "user",
        content: `q${i}`,
      });
      await store.appendMessage({
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        role: "assistant",
        content: `a${i}`,
        runId: `run${i}`,
        meta: { stopReason: "stop", provider: "mock", model: "mock-model" },
      });
    }
    active.set(entry.key, ["run7"]);
    const res = await call(chatHistory, deps, { sessionKey: "main", limit: 4 });
    expect(res).toMatchObject({
      sessionKey: "main",
      sessionId: entry.sessionId,
      hasMore: true,
      nextOffset: 4,
      sessionInfo: { hasActiveRun: true, activeRunIds: ["run7"] },
    });
    expect(res.messages.map((m: { role: string }) => m.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
    expect(res.messages[0]).toMatchObject({ role: "user", content: "q5" });
    expect(res.messages[3]).toMatchObject({
      role: "assistant",
      content: [{ type: "text", text: "a6" }],
      stopReason: "stop",
      provider: "mock",
      __openclaw: { seq: 12, runId: "run6" },
    });
    expect(typeof res.messages[3].timestamp).toBe("number");
    const older = await call(chatHistory, deps, { sessionKey: "main", limit: 4, offset: res.nextOffset });
    expect(older.messages[0].content).toBe("q3");
    const cut = await call(chatHistory, deps, { sessionKey: "main", limit: 1, maxChars: 1 });
    expect(cut.messages[0].content[0].text).toMatch(/^a\n…\[truncated 1 chars\]$/);
  });

  it("chat.history caps the page at session.historyMaxLimit and never creates a session", async () => {
    const small = { ...deps, config: makeConfig({ session: { historyMaxLimit: 3 } }) };
    const { entry } = await store.ensure("main", "agent:main:main");
    for (let i = 0; i < 5; i++)
      await store.appendMessage({
        sessionKey: entry.key,
        sessionId: entry.sessionId,
        role: "user",
        content: "x",
      });
    expect((await call(chatHistory, small, { sessionKey: "main", limit: 50 })).messages).toHaveLength(3);
    const none = await call(chatHistory, deps, { sessionKey: "never" });
    expect(none).toMatchObject({ sessionKey: "never", messages: [], hasMore: false });
    expect(none.sessionId).toBeUndefined();
    expect(await store.get("agent:main:never")).toBeUndefined();
  });

  it("chat.history reads an earlier transcript of the same key after a reset", async () => {
    const { entry } = await store.ensure("main", "agent:main:main");
    await store.appendMessage({
      sessionKey: entry.key,
      sessionId: entry.sessionId,
      role: "user",
      content: "old",
    });
    await store.reset(entry.key);
    expect((await call(chatHistory, deps, { sessionKey: "main" })).messages).toHaveLength(0);
    const old = await call(chatHistory, deps, { sessionKey: "main", sessionId: entry.sessionId });
    expect(old.messages[0].content).toBe("old");
    await store.ensure("main", "agent:main:other");
    await expect(
      call(chatHistory, deps, { sessionKey: "other", sessionId: entry.sessionId }),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST" });
  });
});

describe("agents.list", () => {
  it("lists main, the default first, with names", async () => {
    const cfg = makeConfig({ agents: { defaultId: "ops", entries: { ops: { name: "Ops" }, zed: {} } } });
    const res = await agentsList.handler({ config: cfg }, {}, caller);
    expect(res).toEqual({
      defaultId: "ops",
      ownership: "sole",
      selectionRequired: false,
      mainKey: "main",
      scope: "per-sender",
      agents: [{ id: "ops", name: "Ops" }, { id: "main" }, { id: "zed" }],
    });
    const plain = await agentsList.handler({ config: makeConfig() }, {}, caller);
    expect(plain).toMatchObject({ defaultId: "main", agents: [{ id: "main" }] });
  });
});
