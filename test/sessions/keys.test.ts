import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/protocol/errors.js";
import {
  assertCreatable,
  isReservedKey,
  mainSessionKey,
  ReservedSessionKeyError,
  resolveSessionKey,
} from "../../src/sessions/keys.js";
import { openSession, requireSession } from "../../src/sessions/resolve.js";
import { makeConfig, tempSqliteStore } from "./helpers.js";

const config = makeConfig({ agents: { entries: { ops: { name: "Ops" } } } });

describe("session keys (spec §3.1)", () => {
  it("main maps to the default agent's main session", () => {
    expect(resolveSessionKey(config, "main")).toEqual({ key: "agent:main:main", agentId: "main" });
    expect(mainSessionKey(config)).toBe("agent:main:main");
    const custom = makeConfig({
      session: { mainKey: "home" },
      agents: { defaultId: "ops", entries: { ops: {} } },
    });
    expect(resolveSessionKey(custom, "main")).toEqual({ key: "agent:ops:home", agentId: "ops" });
    expect(resolveSessionKey(custom, "home").key).toBe("agent:ops:home");
  });

  it("bare keys are scoped to the agent; full agent keys are kept", () => {
    expect(resolveSessionKey(config, "x", "ops")).toEqual({ key: "agent:ops:x", agentId: "ops" });
    expect(resolveSessionKey(config, "x")).toEqual({ key: "agent:main:x", agentId: "main" });
    expect(resolveSessionKey(config, "main", "ops").key).toBe("agent:ops:main");
    expect(resolveSessionKey(config, "agent:ops:telegram:group:42")).toEqual({
      key: "agent:ops:telegram:group:42",
      agentId: "ops",
    });
    expect(resolveSessionKey(config, "  x  ").key).toBe("agent:main:x");
  });

  it("reserved and special keys are kept as they are, owned by the given agent", () => {
    expect(resolveSessionKey(config, "cron:nightly", "ops")).toEqual({ key: "cron:nightly", agentId: "ops" });
    expect(resolveSessionKey(config, "hook:abc").key).toBe("hook:abc");
    expect(resolveSessionKey(config, "global").key).toBe("global");
  });

  it("unknown agents, agent mismatches and empty keys are INVALID_REQUEST", () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as GatewayError;
      }
      throw new Error("did not throw");
    };
    const unknown = err(() => resolveSessionKey(config, "x", "nobody"));
    expect(unknown).toBeInstanceOf(GatewayError);
    expect(unknown).toMatchObject({
      code: "INVALID_REQUEST",
      details: { code: "UNKNOWN_AGENT_ID", agentId: "nobody" },
    });
    expect(err(() => resolveSessionKey(config, "agent:nobody:x")).details).toMatchObject({
      code: "UNKNOWN_AGENT_ID",
    });
    expect(err(() => resolveSessionKey(config, "agent:ops:x", "main")).code).toBe("INVALID_REQUEST");
    expect(err(() => resolveSessionKey(config, "   ")).code).toBe("INVALID_REQUEST");
  });

  it("recognizes reserved prefixes bare and agent-scoped", () => {
    for (const k of [
      "subagent:1",
      "cron:x",
      "acp:y",
      "hook:z",
      "agent:main:subagent:1",
      "agent:ops:cron:x",
    ]) {
      expect(isReservedKey(k), k).toBe(true);
    }
    for (const k of ["agent:main:main", "x", "crony", "agent:main:hooks"])
      expect(isReservedKey(k), k).toBe(false);
  });

  it("HTTP callers cannot create reserved keys; WebSocket callers can", () => {
    expect(() => assertCreatable("cron:x", "http")).toThrow(ReservedSessionKeyError);
    expect(() => assertCreatable("agent:main:subagent:1", "http")).toThrow(
      "session key is reserved: agent:main:subagent:1",
    );
    expect(() => assertCreatable("cron:x", "ws")).not.toThrow();
    expect(() => assertCreatable("agent:main:x", "http")).not.toThrow();
  });
});

describe("opening sessions by key", () => {
  it("HTTP may use an existing reserved session but not create one", async () => {
    const { store, dispose } = await tempSqliteStore();
    try {
      await expect(openSession(store, config, "hook:1", { origin: "http" })).rejects.toMatchObject({
        code: "INVALID_REQUEST",
        details: { code: "RESERVED_SESSION_KEY", key: "hook:1" },
      });
      expect(await store.get("hook:1")).toBeUndefined();
      const made = await openSession(store, config, "hook:1", { origin: "internal" });
      expect(made.created).toBe(true);
      const used = await openSession(store, config, "hook:1", { origin: "http" });
      expect(used).toMatchObject({ created: false, entry: { sessionId: made.entry.sessionId } });
      const plain = await openSession(store, config, "chat-1", { origin: "http", agentId: "ops" });
      expect(plain.entry).toMatchObject({ key: "agent:ops:chat-1", agentId: "ops" });
      await expect(requireSession(store, config, "missing")).rejects.toMatchObject({
        details: { code: "SESSION_NOT_FOUND", key: "agent:main:missing" },
      });
    } finally {
      await dispose();
    }
  });
});
