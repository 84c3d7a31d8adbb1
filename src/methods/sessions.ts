// sessions.list, sessions.patch, sessions.reset, sessions.delete and chat.history over the SessionStore.
import { Type } from "@sinclair/typebox";
import { canonicalRef } from "../config/refs.js";
import type { Config } from "../config/schema.js";
import { invalidRequest } from "../protocol/errors.js";
import type { RunService } from "../runs/service.js";
import { resolveSessionKey } from "../sessions/keys.js";
import { openSession, requireSession } from "../sessions/resolve.js";
import type { SessionPatch, SessionStore } from "../sessions/store.js";
import { listDefaults, toListRow, toWireMessage } from "../sessions/wire.js";
import { defineMethod } from "./registry.js";

/** What the session methods need; the gateway's services object satisfies it structurally. */
export interface SessionMethodsDeps {
  store: SessionStore;
  config: Config;
  /** Active runs per session and the running one's partial output (none when omitted). */
  runs?: Pick<RunService, "activeRunIds" | "inFlight">;
}

/** Page size of sessions.list when the caller sets none (the reference's `limitApplied`). */
const DEFAULT_LIST_LIMIT = 100;
/** Page size of chat.history when the caller sets none; `session.historyMaxLimit` caps any. */
const DEFAULT_HISTORY_LIMIT = 200;

const Key = Type.String({ minLength: 1, maxLength: 512 });
const AgentId = Type.String({ minLength: 1, maxLength: 64 });
const Text = Type.String({ maxLength: 512 });
const Clearable = Type.Union([Text, Type.Null()]);
// Bounded so a huge value is a clear INVALID_REQUEST instead of a SQLite datatype error.
const Offset = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });

export const SessionsListParams = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000 })),
    offset: Type.Optional(Offset),
    // Ten years: anything longer means "all", and the cutoff must stay a representable time.
    activeMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 5_256_000 })),
    agentId: Type.Optional(AgentId),
    search: Type.Optional(Text),
    label: Type.Optional(Text),
    includeGlobal: Type.Optional(Type.Boolean()),
    includeUnknown: Type.Optional(Type.Boolean()),
    // Accepted for compatibility and not applied: both would read transcripts while listing,
    // which is exactly what stability §1 forbids.
    includeDerivedTitles: Type.Optional(Type.Boolean()),
    includeLastMessage: Type.Optional(Type.Boolean()),
    archived: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const hasRun = (ctx: SessionMethodsDeps, key: string) => (ctx.runs?.activeRunIds(key).length ?? 0) > 0;

export const sessionsList = defineMethod({
  name: "sessions.list",
  scope: "operator.read",
  params: SessionsListParams,
  handler: async (ctx: SessionMethodsDeps, p) => {
    const limit = p.limit ?? DEFAULT_LIST_LIMIT;
    const excludeKeys = [...(p.includeGlobal ? [] : ["global"]), ...(p.includeUnknown ? [] : ["unknown"])];
    const page = await ctx.store.list({
      limit,
      offset: p.offset ?? 0,
      excludeKeys,
      ...(p.agentId === undefined ? {} : { agentId: p.agentId }),
      ...(p.activeMinutes === undefined ? {} : { activeMinutes: p.activeMinutes }),
      ...(p.search === undefined ? {} : { search: p.search }),
      ...(p.label === undefined ? {} : { label: p.label }),
      ...(p.archived === undefined ? {} : { archived: p.archived }),
    });
    return {
      ts: Date.now(),
      path: ctx.store.path,
      count: page.rows.length,
      totalCount: page.total,
      limitApplied: limit,
      hasMore: page.hasMore,
      nextOffset: page.nextOffset,
      defaults: listDefaults(ctx.config),
      sessions: page.rows.map((e) => toListRow(e, hasRun(ctx, e.key))),
    };
  },
});

export const SessionsPatchParams = Type.Object(
  {
    key: Key,
    agentId: Type.Optional(AgentId),
    label: Type.Optional(Clearable),
    displayName: Type.Optional(Clearable),
    /** "provider/model" or an alias: a strict user override; null clears it. */
    model: Type.Optional(Clearable),
    thinkingLevel: Type.Optional(Clearable),
    verboseLevel: Type.Optional(Clearable),
  },
  { additionalProperties: false },
);

export const sessionsPatch = defineMethod({
  name: "sessions.patch",
  scope: "operator.write",
  params: SessionsPatchParams,
  handler: async (ctx: SessionMethodsDeps, p) => {
    const patch: SessionPatch = {};
    if (p.label !== undefined) patch.label = p.label;
    if (p.displayName !== undefined) patch.displayName = p.displayName;
    if (p.thinkingLevel !== undefined) patch.thinkingLevel = p.thinkingLevel;
    if (p.verboseLevel !== undefined) patch.verboseLevel = p.verboseLevel;
    if (p.model !== undefined) Object.assign(patch, modelPatch(ctx.config, p.model));
    // Patching a key that has no session yet creates it (`/model x` before the first message).
    const { entry } = await openSession(ctx.store, ctx.config, p.key, wsOrigin(p.agentId));
    const updated = await ctx.store.patch(entry.key, patch);
    return { ok: true, path: ctx.store.path, key: updated.key, entry: updated };
  },
});

/** The override a patch stores: always "provider/model", an alias resolved now. */
function modelPatch(config: Config, written: string | null): SessionPatch {
  if (written === null) return { providerOverride: null, modelOverride: null };
  const model = canonicalRef(config.agents, written);
  if (model === undefined) {
    const aliases = Object.values(config.agents.defaults.models).flatMap((m) => (m.alias ? [m.alias] : []));
    throw invalidRequest(
      `invalid sessions.patch params: model "${written}" is neither "provider/model" nor an alias (aliases: ${aliases.join(", ") || "none"})`,
      { field: "model" },
    );
  }
  const slash = model.indexOf("/");
  const provider = model.slice(0, slash);
  if (slash < 1 || slash === model.length - 1) {
    throw invalidRequest(`invalid sessions.patch params: model must be "provider/model"`, { field: "model" });
  }
  if (config.models.providers[provider] === undefined) {
    throw invalidRequest(`unknown model provider: ${provider}`, { field: "model", provider });
  }
  return { providerOverride: provider, modelOverride: model.slice(slash + 1) };
}

const wsOrigin = (agentId: string | undefined) => ({
  origin: "ws" as const,
  ...(agentId === undefined ? {} : { agentId }),
});

export const SessionsResetParams = Type.Object(
  {
    key: Key,
    agentId: Type.Optional(AgentId),
    reason: Type.Optional(Type.Union([Type.Literal("new"), Type.Literal("reset")])),
  },
  { additionalProperties: false },
);

export const sessionsReset = defineMethod({
  name: "sessions.reset",
  scope: "operator.admin",
  params: SessionsResetParams,
  handler: async (ctx: SessionMethodsDeps, p) => {
    const opened = await openSession(ctx.store, ctx.config, p.key, wsOrigin(p.agentId));
    // A session created just now is already fresh; resetting it would only archive an empty row.
    const entry = opened.created ? opened.entry : await ctx.store.reset(opened.entry.key);
    return { ok: true, path: ctx.store.path, key: entry.key, entry };
  },
});

export const SessionsDeleteParams = Type.Object(
  {
    key: Key,
    agentId: Type.Optional(AgentId),
    /** Also remove the archived row and its transcript now instead of at pruneAfter. */
    deleteTranscript: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const sessionsDelete = defineMethod({
  name: "sessions.delete",
  scope: "operator.admin",
  params: SessionsDeleteParams,
  handler: async (ctx: SessionMethodsDeps, p) => {
    const { entry } = await requireSession(ctx.store, ctx.config, p.key, p.agentId);
    // A running turn still appends to this sessionId; removing its transcript under it would lose that.
    if (p.deleteTranscript && hasRun(ctx, entry.key)) {
      throw invalidRequest(`session has an active run: ${entry.key}`, {
        code: "SESSION_BUSY",
        key: entry.key,
      });
    }
    await ctx.store.archive(entry.key);
    const purged = p.deleteTranscript ? await ctx.store.purge(entry.sessionId) : false;
    return {
      ok: true,
      path: ctx.store.path,
      key: entry.key,
      sessionId: entry.sessionId,
      deleted: true,
      archived: !purged,
    };
  },
});

export const ChatHistoryParams = Type.Object(
  {
    sessionKey: Key,
    agentId: Type.Optional(AgentId),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    /** Messages skipped from the newest end: 0 is the latest page, `nextOffset` the one before. */
    offset: Type.Optional(Offset),
    /** Accepted for compatibility; paging is by offset. */
    messageId: Type.Optional(Type.String({ maxLength: 256 })),
    /** An earlier transcript of the same key (kept after a reset until pruned). */
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    maxChars: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000 })),
  },
  { additionalProperties: false },
);

export const chatHistory = defineMethod({
  name: "chat.history",
  scope: "operator.read",
  params: ChatHistoryParams,
  handler: async (ctx: SessionMethodsDeps, p) => {
    const { key } = resolveSessionKey(ctx.config, p.sessionKey, p.agentId);
    const session = p.sessionId ? await ctx.store.getBySessionId(p.sessionId) : await ctx.store.get(key);
    if (p.sessionId && session?.key !== key) {
      throw invalidRequest(`session ${p.sessionId} does not belong to ${key}`, { field: "sessionId" });
    }
    const runIds = ctx.runs?.activeRunIds(key) ?? [];
    const inFlight = runIds.length > 0 ? ctx.runs?.inFlight(key) : undefined;
    const base = {
      // Echoes the key as sent, as the reference does (`main`, not `agent:main:main`).
      sessionKey: p.sessionKey,
      sessionInfo: { hasActiveRun: runIds.length > 0, activeRunIds: runIds },
      ...(inFlight === undefined ? {} : { inFlightRun: inFlight }),
    };
    // Reading never creates: a key with no session yet has an empty history and no sessionId.
    if (!session) return { ...base, messages: [], hasMore: false, nextOffset: null };
    const limit = Math.min(p.limit ?? DEFAULT_HISTORY_LIMIT, ctx.config.session.historyMaxLimit);
    const offset = p.offset ?? 0;
    const page = await ctx.store.readHistory(session.sessionId, { limit, offset });
    const messages = fitBytes(
      page.messages.map((m) => toWireMessage(m, p.maxChars)),
      ctx.config.session.historyMaxBytes,
    );
    // Messages left out for size are the oldest of the page: they start the next page.
    const cut = messages.length < page.messages.length;
    return {
      ...base,
      sessionId: session.sessionId,
      messages,
      hasMore: page.hasMore || cut,
      nextOffset: cut ? offset + messages.length : page.nextOffset,
      totalMessages: page.total,
    };
  },
});

/**
 * Keeps the newest messages whose JSON fits in `budget` bytes. A single message larger than the
 * whole budget is replaced by a placeholder, so one huge row can never block a page.
 */
export function fitBytes(messages: Record<string, unknown>[], budget: number): Record<string, unknown>[] {
  const kept: Record<string, unknown>[] = [];
  let used = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    let m = messages[i]!;
    let size = Buffer.byteLength(JSON.stringify(m));
    if (size > budget) {
      const note = `[message of ${size} bytes omitted: larger than session.historyMaxBytes]`;
      m = { ...m, content: m["role"] === "assistant" ? [{ type: "text", text: note }] : note, omitted: true };
      size = Buffer.byteLength(JSON.stringify(m));
    }
    if (used + size > budget) break;
    used += size;
    kept.push(m);
  }
  return kept.reverse();
}

/** The session family, registered as one array. */
export const sessionMethods = [sessionsList, sessionsPatch, sessionsReset, sessionsDelete, chatHistory];
