// Replays a recorded client's sockets against a Keel gateway: its connect (with Keel's token), then
// every request in order, each answer compared by shape with the reference's (shape.ts).
import { TEST_TOKEN } from "../helpers/gateway.js";
import { type Frame, openClient, TestSocket } from "../helpers/ws.js";
import type { Json, RecordedCall, RecordedSocket } from "./recording.js";
import { shapeDiff } from "./shape.js";

/** What Keel answered one recorded request, and how its shape differs from the reference's. */
export interface ReplayedCall {
  conn: number;
  method: string;
  expected: Json[];
  actual: Json[];
  /** `method#n path: what` lines (n: which answer, 0 the first); empty when the shapes agree. */
  diffs: string[];
}

/** Field names whose string values are ids: learnt from answers, then put into later requests. */
const ID_FIELD = /(^id$|Id$|^key$|Key$)/;
const ANSWER_MS = 15_000;

/**
 * Runs every socket of a recording in order. Ids the reference handed out and the client sent
 * back later (a sessionId, a runId) are swapped for the ones Keel handed out at the same place.
 */
export async function replay(url: string, sockets: readonly RecordedSocket[]): Promise<ReplayedCall[]> {
  const ids = new Map<string, string>();
  const out: ReplayedCall[] = [];
  for (const rec of sockets) {
    await using s = await TestSocket.open(url);
    await s.event("connect.challenge");
    const connect = { ...rec.connect, params: { ...rec.connect.params, auth: { token: TEST_TOKEN } } };
    s.send(connect);
    const hello = await s.response(rec.connect.id);
    out.push(compare(rec.conn, "connect", [rec.hello], [hello]));
    if (!hello.ok) continue;
    for (const call of rec.calls) {
      const answers = await ask(s, call, ids);
      learnIds(call.responses, answers, ids);
      out.push(compare(rec.conn, call.method, call.responses, answers));
    }
  }
  return out;
}

async function ask(s: TestSocket, call: RecordedCall, ids: Map<string, string>): Promise<Frame[]> {
  const params = call.params === undefined ? {} : { params: substitute(call.params, ids) };
  s.send({ type: "req", id: call.id, method: call.method, ...params });
  const wanted = Math.max(1, call.responses.length);
  await s.next(
    () => s.frames.filter((f) => f.type === "res" && f.id === call.id).length >= wanted,
    ANSWER_MS,
  );
  return s.frames.filter((f) => f.type === "res" && f.id === call.id).slice(0, wanted);
}

function compare(conn: number, method: string, expected: Json[], actual: Json[]): ReplayedCall {
  const diffs: string[] = [];
  expected.forEach((e, i) => {
    const a = actual[i];
    const at = `${method}#${i}`;
    if (!a) diffs.push(`${at} .: no answer`);
    else if (e.ok !== a.ok)
      diffs.push(`${at} ok: ${a.ok} instead of ${e.ok} (${JSON.stringify(a.error ?? {})})`);
    else if (!e.ok) {
      if (e.error.code !== a.error.code)
        diffs.push(`${at} error.code: ${a.error.code} instead of ${e.error.code}`);
      const [ed, ad] = [e.error.details?.code, a.error.details?.code];
      if (ed !== ad) diffs.push(`${at} error.details.code: ${ad} instead of ${ed}`);
    } else diffs.push(...shapeDiff(e.payload, a.payload, "payload").map((d) => `${at} ${d}`));
  });
  return { conn, method, expected, actual, diffs };
}

/** Pairs id-named string fields of the reference's answers with Keel's at the same path. */
function learnIds(expected: Json[], actual: Json[], ids: Map<string, string>): void {
  const walk = (e: Json, a: Json, key: string) => {
    if (typeof e === "string" && typeof a === "string") {
      if (ID_FIELD.test(key) && e !== a) ids.set(e, a);
      return;
    }
    if (e === null || a === null || typeof e !== "object" || typeof a !== "object") return;
    if (Array.isArray(e)) {
      if (!Array.isArray(a) || e.length === 0 || a.length === 0) return;
      // Rows with a `key` (sessions) pair by it: the two lists need not be in the same order.
      const byKey = new Map(a.filter((x) => typeof x?.key === "string").map((x) => [x.key, x]));
      if (byKey.size === 0) return walk(e[0], a[0], key);
      for (const x of e) if (byKey.has(x?.key)) walk(x, byKey.get(x.key), key);
      return;
    }
    for (const k of Object.keys(e)) if (k in a) walk(e[k], a[k], k);
  };
  expected.forEach((e, i) => walk(e?.payload, actual[i]?.payload, ""));
}

function substitute(v: Json, ids: Map<string, string>): Json {
  if (typeof v === "string") return ids.get(v) ?? v;
  if (Array.isArray(v)) return v.map((x) => substitute(x, ids));
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, ids)]));
  return v;
}

/** Session keys a recording reads or changes without creating (they must exist first). */
const NEEDS_SESSION = new Set([
  "chat.history",
  "chat.abort",
  "chat.inject",
  "sessions.patch",
  "sessions.reset",
  "sessions.delete",
  "sessions.compact",
  "sessions.describe",
]);

/**
 * Gives Keel what the reference already had when the client ran: a turn in each session the
 * recording reads or changes without creating it, and the finished run `agent.wait` asks after.
 */
export async function seed(url: string, sockets: readonly RecordedSocket[]): Promise<void> {
  await using s = await openClient(url, { scopes: ["operator.admin"] });
  let n = 0;
  const turn = async (params: Record<string, unknown>, method = "chat.send") => {
    const runId = (params["idempotencyKey"] as string | undefined) ?? `seed-${++n}`;
    await s.request(method, { message: "seed", ...params, idempotencyKey: runId }, ANSWER_MS);
    await s.next((f) => f.event === "chat" && f.payload.runId === runId && f.payload.state === "final");
  };
  const known = new Set<string>();
  for (const call of sockets.flatMap((r) => r.calls)) {
    const key = call.params?.sessionKey ?? call.params?.key;
    if ((call.method === "chat.send" || call.method === "agent") && typeof key === "string") known.add(key);
    if (call.method === "agent.wait") await turn({ idempotencyKey: call.params.runId }, "agent");
    if (!NEEDS_SESSION.has(call.method) || typeof key !== "string" || known.has(key)) continue;
    known.add(key);
    const answer = call.responses[0];
    // The reference's own answer says whether the session existed (an empty history: it did not).
    if (!answer?.ok || (call.method === "chat.history" && answer.payload.messages.length === 0)) continue;
    await turn({ sessionKey: key });
  }
}
