// Which session a /v1 request runs in, and which of the messages it was sent that session lacks.
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { ContentPart } from "../models/messages.js";
import type { SessionStore, SessionView, TranscriptMessage } from "../sessions/store.js";
import { badField } from "./errors.js";
import type { ConversationMessage } from "./messages.js";

/** Header names that carry a session key (Keel's, and the reference's for its clients). */
const SESSION_HEADERS = ["x-keel-session-key", "x-openclaw-session-key"] as const;

/** Longest `user` or session key a request may send (as chat.send's sessionKey). */
const MAX_KEY_CHARS = 512;

/**
 * Where a request runs. `resent`: the caller sends its whole conversation each time (a session
 * it names, or its `user`), so only messages the session lacks are appended; otherwise every
 * earlier message is new (a fresh session, or a Responses continuation, which sends new items only).
 */
export interface SessionChoice {
  key: string;
  resent: boolean;
}

/**
 * The session key of a request: a session header, else the `user` field (a stable derived
 * session per user), else a fresh one-off session. Reserved prefixes are refused later, when the
 * session is opened (HTTP callers may not create them).
 */
export function sessionKeyOf(
  headers: IncomingHttpHeaders,
  user: unknown,
  freshKey: () => string = () => `openai:${randomUUID()}`,
): SessionChoice {
  for (const name of SESSION_HEADERS) {
    const v = headers[name];
    if (typeof v === "string" && v.trim()) {
      if (v.length > MAX_KEY_CHARS) throw badField(name, `must be at most ${MAX_KEY_CHARS} characters`);
      return { key: v.trim(), resent: true };
    }
  }
  if (typeof user === "string" && user.length > 0) {
    if (user.length > MAX_KEY_CHARS) throw badField("user", `must be at most ${MAX_KEY_CHARS} characters`);
    return { key: `openai-user:${user}`, resent: true };
  }
  return { key: freshKey(), resent: false };
}

/** What makes two messages the same for "already in the session": role, text and tool ids. */
function identity(role: string, content: string, parts: readonly { type: string }[] | undefined): string {
  const ids = (parts ?? []).flatMap((p) => {
    const part = p as ContentPart;
    if (part.type === "tool_call") return [`c:${part.id}`];
    if (part.type === "tool_result") return [`r:${part.callId}`];
    if (part.type === "image") return ["i"];
    return [];
  });
  return `${role}\u0000${content}\u0000${ids.join(",")}`;
}

/**
 * How many of `earlier` the session already holds: the longest run of the session's newest
 * messages that equals the start of the conversation (a client re-sends its whole conversation
 * each time, possibly with its oldest messages dropped). The conversation's last message counts
 * too: a client retrying a request whose run failed sends a conversation the session already
 * ends with. Everything after the held part is new.
 */
export function alreadyHeld(
  stored: readonly Readonly<TranscriptMessage>[],
  earlier: readonly ConversationMessage[],
  last?: ConversationMessage,
): number {
  const have = stored.filter((m) => m.role !== "system").map((m) => identity(m.role, m.content, m.parts));
  const want = [...earlier, ...(last ? [last] : [])].map((m) => identity(m.role, m.content, m.parts));
  for (let n = Math.min(have.length, want.length); n > 0; n--) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = have[have.length - n + i] === want[i];
    if (same) return Math.min(n, earlier.length);
  }
  return 0;
}

/**
 * Appends the earlier messages the session does not hold yet, oldest first, so the run's turn
 * reads them as its history. A fresh session holds none: nothing is read.
 */
export async function appendEarlier(
  store: SessionStore,
  entry: SessionView,
  conversation: { earlier: readonly ConversationMessage[]; last: ConversationMessage },
  fresh: boolean,
): Promise<void> {
  const { earlier, last } = conversation;
  if (earlier.length === 0) return;
  let skip = 0;
  if (!fresh) {
    const page = await store.readHistory(entry.sessionId, { limit: earlier.length + 1 });
    skip = alreadyHeld(page.messages, earlier, last);
  }
  for (const m of earlier.slice(skip)) {
    await store.appendMessage({
      sessionKey: entry.key,
      sessionId: entry.sessionId,
      role: m.role,
      content: m.content,
      ...(m.parts ? { parts: m.parts } : {}),
      meta: { source: "openai" },
    });
  }
}

/**
 * A session key as the `x-keel-session-key` reply header: as it is when it is printable ASCII,
 * else percent-encoded (a `user` may hold any character, and a header may not).
 */
export function sessionHeader(key: string): string {
  return /^[\x20-\x7e]*$/.test(key) ? key : encodeURIComponent(key);
}
