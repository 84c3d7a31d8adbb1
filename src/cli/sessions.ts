// `keel sessions` (list), `sessions show <key>` (paged history), `sessions reset|delete <key>`.
import { RequestError } from "../client/errors.js";
import { EXIT } from "./errors.js";
import { ago, Out } from "./output.js";
import { withGateway } from "./session.js";
import { noSession } from "./session-owners.js";
import type { ClientFlags } from "./target.js";
import { formatMessage, type HistoryResult } from "./transcript.js";

export interface SessionsListFlags extends ClientFlags {
  /** Only sessions updated within this many minutes. */
  active?: number;
  agent?: string;
  limit?: number;
}

export interface SessionsShowFlags extends ClientFlags {
  agent?: string;
  limit?: number;
  offset?: number;
}

export interface SessionKeyFlags extends ClientFlags {
  agent?: string;
}

/** One `sessions.list` row (src/sessions/wire.ts SessionListRow), the fields shown here. */
interface ListRow {
  key: string;
  updatedAt: number;
  sessionId: string;
  label?: string;
  displayName?: string;
  totalTokens?: number;
  hasActiveRun?: boolean;
}

interface ListResult {
  count: number;
  totalCount?: number;
  hasMore?: boolean;
  nextOffset?: number | null;
  sessions: ListRow[];
}

/** Lines per page of `sessions show` when --limit is not given. */
const DEFAULT_SHOW_LIMIT = 50;

/** Prints the sessions, most recently updated first, as a table (or the list result with --json). */
export async function sessionsList(flags: SessionsListFlags): Promise<number> {
  const out = new Out();
  const r = await withGateway(flags, { scopes: ["operator.read"] }, (client) =>
    client.request<ListResult>("sessions.list", {
      ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
      ...(flags.active !== undefined ? { activeMinutes: flags.active } : {}),
      ...(flags.agent !== undefined ? { agentId: flags.agent } : {}),
    }),
  );
  if (flags.json) {
    out.json(r);
    return EXIT.ok;
  }
  if (r.sessions.length === 0) {
    out.line(
      flags.active !== undefined ? `no sessions active in the last ${flags.active} min` : "no sessions",
    );
    return EXIT.ok;
  }
  const now = Date.now();
  out.table(
    ["KEY", "UPDATED", "TOKENS", "LABEL"],
    r.sessions.map((s) => [
      s.key,
      `${ago(s.updatedAt, now)}${s.hasActiveRun ? " (running)" : ""}`,
      s.totalTokens === undefined ? "-" : String(s.totalTokens),
      s.label ?? s.displayName ?? "",
    ]),
  );
  if (r.hasMore) {
    const total = r.totalCount === undefined ? "" : ` of ${r.totalCount}`;
    out.line(out.paint(`${r.sessions.length}${total} shown; pass --limit for more`, "dim"));
  }
  return EXIT.ok;
}

/** Prints one page of a session's history, oldest first, and how to get the page before it. */
export async function sessionsShow(key: string, flags: SessionsShowFlags): Promise<number> {
  const out = new Out();
  const limit = flags.limit ?? DEFAULT_SHOW_LIMIT;
  const offset = flags.offset ?? 0;
  const h = await withGateway(flags, { scopes: ["operator.read"] }, async (client) => {
    const h = await client.request<HistoryResult>("chat.history", {
      sessionKey: key,
      limit,
      offset,
      ...(flags.agent !== undefined ? { agentId: flags.agent } : {}),
    });
    if (h.sessionId === undefined) {
      throw await noSession(client, "show", key, flags.agent, {
        ok: false,
        error: { code: "NOT_FOUND", key },
      });
    }
    return h;
  });
  if (flags.json) {
    out.json(h);
    return EXIT.ok;
  }
  const total = h.totalMessages;
  // Offsets count from the newest message: this page ends `offset` messages before the last one.
  const range =
    total === undefined || h.messages.length === 0
      ? `${h.messages.length} messages`
      : `messages ${total - offset - h.messages.length + 1}-${total - offset} of ${total}`;
  out.line(out.paint(`session ${key} (${h.sessionId}): ${range}`, "dim"));
  for (const m of h.messages) out.line(formatMessage(m));
  if (h.hasMore && typeof h.nextOffset === "number") {
    const extra = flags.limit !== undefined ? ` --limit ${flags.limit}` : "";
    const agent = flags.agent !== undefined ? ` --agent ${flags.agent}` : "";
    out.line(out.paint(`older: keel sessions show ${key} --offset ${h.nextOffset}${extra}${agent}`, "dim"));
  }
  return EXIT.ok;
}

/** Starts a fresh transcript under the same key (the old one stays, retired, until pruned). */
export async function sessionsReset(key: string, flags: SessionKeyFlags): Promise<number> {
  const out = new Out();
  const r = await withGateway(flags, { scopes: ["operator.admin"] }, (client) =>
    client.request<{ key: string; entry?: { sessionId?: string } }>("sessions.reset", {
      key,
      ...(flags.agent !== undefined ? { agentId: flags.agent } : {}),
    }),
  );
  if (flags.json) out.json(r);
  else out.line(`reset ${r.key}: new session id ${r.entry?.sessionId ?? "?"}`);
  return EXIT.ok;
}

/** Removes the key from the list; its transcript is retired (kept until pruned). */
export async function sessionsDelete(key: string, flags: SessionKeyFlags): Promise<number> {
  const out = new Out();
  const r = await withGateway(flags, { scopes: ["operator.admin"] }, (client) =>
    client
      .request<{ key: string; sessionId: string; archived: string[] }>("sessions.delete", {
        key,
        ...(flags.agent !== undefined ? { agentId: flags.agent } : {}),
      })
      .catch(async (err: unknown) => {
        if (err instanceof RequestError && err.detailCode === "SESSION_NOT_FOUND") {
          const data = { ok: false, error: { method: err.method, ...err.toShape() } };
          throw await noSession(client, "delete", key, flags.agent, data);
        }
        throw err;
      }),
  );
  if (flags.json) out.json(r);
  else
    out.line(
      `deleted ${r.key}${r.archived.length > 0 ? ` (transcript ${r.sessionId} kept until pruned)` : ""}`,
    );
  return EXIT.ok;
}
