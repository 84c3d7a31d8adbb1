// What the reference CLI sends for sessions (archive, delete, compact) and status, against a real
// gateway: the recorded params are accepted, archiving and the expectedSessionId guard are real,
// compaction trims what the model reads and keeps the rest readable, and answers match the
// recorded shapes.
import { describe, expect, it } from "vitest";
import { exchange, pick, shapeGaps } from "../helpers/recorded.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient, type TestSocket } from "../helpers/ws.js";

const ADMIN = { scopes: ["operator.admin"] };

/** One chat turn in `sessionKey`, to its final event. */
async function turn(s: TestSocket, sessionKey: string, message: string, runId: string): Promise<void> {
  const res = await s.request("chat.send", { sessionKey, message, idempotencyKey: runId });
  expect(res.ok).toBe(true);
  await s.next((f) => f.event === "chat" && f.payload.runId === runId && f.payload.state === "final");
}

const keys = (res: any): string[] => res.payload.sessions.map((r: any) => r.key);

describe("session params the reference CLI sends", () => {
  it("archive: patch {expectedSessionId, archived} hides a live session; list archived all/only shows it; false restores", async () => {
    await using gw = await gatewayWithFakeVendor();
    await using s = await openClient(gw.url, ADMIN);
    await turn(s, "compat-agent", "hi", "a-1");
    await turn(s, "other", "hi", "a-2");
    const listRef = exchange("sessions_archive", "sessions.list");
    const before = await s.request("sessions.list", listRef.params);
    expect(before.ok).toBe(true);
    const row = before.payload.sessions.find((r: any) => r.key === "agent:main:compat-agent");
    expect(row.archived).toBe(false);
    expect(
      shapeGaps(
        pick(listRef.res.payload, ["count", "totalCount", "limitApplied", "sessions"]),
        before.payload,
      ),
    ).toEqual([]);

    // The recorded patch, pointed at this gateway's session.
    const patchRef = exchange("sessions_archive", "sessions.patch");
    const patch = await s.request("sessions.patch", { ...patchRef.params, expectedSessionId: row.sessionId });
    expect(patch.ok).toBe(true);
    expect(patch.payload.entry).toMatchObject({ sessionId: row.sessionId, archiveReason: "manual" });
    expect(shapeGaps(patchRef.res.payload, patch.payload)).toEqual([]);
    expect(
      shapeGaps(
        pick(patchRef.res.payload.entry, ["sessionId", "updatedAt", "archivedAt", "archiveReason"]),
        patch.payload.entry,
      ),
    ).toEqual([]);

    expect(keys(await s.request("sessions.list", {}))).toEqual(["agent:main:other"]);
    const all = await s.request("sessions.list", listRef.params);
    expect(keys(all).sort()).toEqual(["agent:main:compat-agent", "agent:main:other"]);
    expect(all.payload.sessions.find((r: any) => r.key === "agent:main:compat-agent")).toMatchObject({
      archived: true,
      archivedAt: expect.any(Number),
      archiveReason: "manual",
    });
    expect(keys(await s.request("sessions.list", { archived: "only" }))).toEqual(["agent:main:compat-agent"]);
    // Archived is not gone: its history is there and it takes another turn.
    const history = await s.request("chat.history", { sessionKey: "compat-agent" });
    expect(history.payload.messages).toHaveLength(2);

    const restore = await s.request("sessions.patch", { key: "agent:main:compat-agent", archived: false });
    expect(restore.ok).toBe(true);
    expect(keys(await s.request("sessions.list", {})).sort()).toEqual([
      "agent:main:compat-agent",
      "agent:main:other",
    ]);

    const main = await s.request("sessions.patch", { key: "main", archived: true });
    expect(main.error).toMatchObject({ code: "INVALID_REQUEST", details: { code: "MAIN_SESSION" } });
  });

  it("expectedSessionId: a stale id is refused for patch and delete, and nothing changes", async () => {
    await using gw = await gatewayWithFakeVendor();
    await using s = await openClient(gw.url, ADMIN);
    await turn(s, "compat-cli", "hi", "g-1");
    const stale = (await s.request("sessions.list", {})).payload.sessions[0].sessionId;
    await s.request("sessions.reset", { key: "compat-cli" });

    const patch = await s.request("sessions.patch", {
      key: "compat-cli",
      expectedSessionId: stale,
      label: "x",
    });
    expect(patch.ok).toBe(false);
    expect(patch.error).toMatchObject({
      code: "INVALID_REQUEST",
      message: "expectedSessionId mismatch",
      details: { code: "SESSION_ID_MISMATCH", expectedSessionId: stale },
    });
    const delRef = exchange("sessions_delete", "sessions.delete");
    const del = await s.request("sessions.delete", { ...delRef.params, expectedSessionId: stale });
    expect(del.error).toMatchObject({ code: "INVALID_REQUEST", message: "expectedSessionId mismatch" });
    const live = (await s.request("sessions.list", {})).payload.sessions;
    expect(live).toHaveLength(1);
    expect(live[0].label).toBeUndefined();

    // The recorded delete with the current id goes through, in the recorded shape.
    const ok = await s.request("sessions.delete", { ...delRef.params, expectedSessionId: live[0].sessionId });
    expect(ok.ok).toBe(true);
    expect(shapeGaps(delRef.res.payload, ok.payload)).toEqual([]);
    expect(ok.payload).toMatchObject({ key: "agent:main:compat-cli", deleted: true, archived: [] });
    expect(keys(await s.request("sessions.list", {}))).toEqual([]);
  });

  it("compact {key, maxLines}: the model reads only the kept entries; the rest stay readable; admin only", async () => {
    await using gw = await gatewayWithFakeVendor([
      { type: "reply", text: "r1" },
      { type: "reply", text: "r2" },
      { type: "reply", text: "r3" },
      { type: "reply", text: "r4" },
    ]);
    await using s = await openClient(gw.url, ADMIN);
    for (const n of [1, 2, 3]) await turn(s, "compat-cli", `q${n}`, `c-${n}`);
    const ref = exchange("sessions_compact", "sessions.compact");
    expect(ref.params).toMatchObject({ key: "agent:main:compat-cli", maxLines: 10 });

    const noop = await s.request("sessions.compact", ref.params);
    expect(noop.payload).toMatchObject({ ok: true, key: "agent:main:compat-cli", compacted: false, kept: 6 });
    expect(shapeGaps(ref.res.payload, noop.payload)).toEqual([]);

    const res = await s.request("sessions.compact", { ...ref.params, maxLines: 2 });
    expect(res.payload).toMatchObject({ ok: true, compacted: true, kept: 2, archived: 4 });
    const history = await s.request("chat.history", { sessionKey: "compat-cli" });
    expect(history.payload.messages.map((m: any) => m.content[0]?.text ?? m.content)).toEqual(["q3", "r3"]);
    const archive = await s.request("chat.history", { sessionKey: "compat-cli", compacted: true });
    expect(archive.payload.messages.map((m: any) => m.content[0]?.text ?? m.content)).toEqual([
      "q1",
      "r1",
      "q2",
      "r2",
    ]);

    await turn(s, "compat-cli", "q4", "c-4");
    const prompt = JSON.stringify(gw.fake.requests.at(-1)?.body.messages);
    expect(prompt).toContain("q3");
    expect(prompt).toContain("q4");
    expect(prompt).not.toContain("q1");

    await using reader = await openClient(gw.url, { scopes: ["operator.read", "operator.write"] });
    const denied = await reader.request("sessions.compact", ref.params);
    expect(denied.error).toMatchObject({ code: "FORBIDDEN", details: { missingScope: "operator.admin" } });
  });

  it("agent {deliver: false, timeout}, models.list {view, includeDetails} and logs.tail {maxBytes} as recorded", async () => {
    await using gw = await gatewayWithFakeVendor([{ type: "reply", text: "done" }]);
    await using s = await openClient(gw.url, { scopes: ["operator.read", "operator.write"] });
    const agentRef = exchange("agent_-m", "agent");
    expect(agentRef.params).toMatchObject({ deliver: false, timeout: 600 });
    const accepted = await s.request("agent", { ...agentRef.params, idempotencyKey: "rec-1" });
    expect(accepted.payload).toMatchObject({ status: "accepted", runId: "rec-1" });
    const final = await s.next(
      (f) => f.type === "res" && f.id === accepted.id && f.payload?.status !== "accepted",
    );
    expect(final.payload).toMatchObject({ status: "ok", result: { payloads: [{ text: "done" }] } });
    const models = exchange("models_list_--json", "models.list");
    expect(models.params).toEqual({ view: "default", includeDetails: true });
    expect((await s.request("models.list", models.params)).payload.models[0]).toMatchObject({
      id: "mock-model",
    });
    const logs = exchange("logs_--json", "logs.tail");
    expect((await s.request("logs.tail", logs.params)).ok).toBe(true);
  });

  it("status takes includeChannelSummary and includeCliProjection", async () => {
    await using gw = await gatewayWithFakeVendor();
    await using s = await openClient(gw.url, { scopes: ["operator.read"] });
    const { params } = exchange("status_--json", "status");
    expect(params).toEqual({ includeChannelSummary: false, includeCliProjection: true });
    const res = await s.request("status", params);
    expect(res.ok).toBe(true);
    expect(res.payload.version).toEqual(expect.any(String));
  });
});
