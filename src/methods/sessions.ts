// sessions.list, sessions.patch, sessions.reset, sessions.delete and chat.history over the SessionStore.
import { Type } from "@sinclair/typebox";
import { canonicalRef } from "../config/refs.js";
import type { Config } from "../config/schema.js";
import { invalidRequest } from "../protocol/errors.js";
import type { RunService } from "../runs/service.js";
import { agentIds, resolveSessionKey } from "../sessions/keys.js";
import { openSession, requireSession } from "../sessions/resolve.js";
import {
  type SessionPatch,
  type SessionStore,
  type SessionView,
  sessionIdMismatch,
  sessionNotFound,
} from "../sessions/store.js";
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
const SessionId = Type.String({ minLength: 1, maxLength: 128 });
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
    /**
     * Archived sessions (sessions.patch archived): left out by default; "all" (or "include")
     * lists them with the rest, "only" (or true) alone; false or "exclude" is the default.
     */
    archived: Type.Optional(
      Type.Union([Type.Boolean(), ...["all", "include", "only", "exclude"].map((v) => Type.Literal(v))]),
    ),
    /** Only sessions of agents the config defines (a key's agent may have been removed since). */
    configuredAgentsOnly: Type.Optional(Type.Boolean()),
    /** Keel: list the rows reset and delete left behind (their transcripts, until pruned) instead. */
    retired: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** The store's archive filter for what a client sent. */
function archivedFilter(v: boolean | string | undefined): "exclude" | "include" | "only" {
  if (v === true || v === "only") return "only";
  if (v === "all" || v === "include") return "include";
  return "exclude";
}

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
      archived: archivedFilter(p.archived),
      ...(p.retired ? { retired: true } : {}),
      ...(p.configuredAgentsOnly ? { agentIds: agentIds(ctx.config) } : {}),
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
    /** Refuse the patch unless the key's current sessionId is this one (a reset since, say). */
    expectedSessionId: Type.Optional(SessionId),
    /** true hides the session from the default list (kept, restorable); false restores it. */
    archived: Type.Optional(Type.Boolean()),
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
    if (p.archived !== undefined) patch.archived = p.archived;
    const resolved = resolveSessionKey(ctx.config, p.key, p.agentId);
    if (p.archived === true && resolved.key === mainSessionKey(ctx.config, resolved.agentId)) {
      throw invalidRequest(`Cannot archive the main session (${resolved.key}).`, {
        code: "MAIN_SESSION",
        key: resolved.key,
      });
    }
    // With a guard the session must already exist (and be that transcript); without one, patching
    // a key that has no session yet creates it (`/model x` before the first message).
    const entry =
      p.expectedSessionId === undefined
        ? (await openSession(ctx.store, ctx.config, p.key, wsOrigin(p.agentId))).entry
        : await expectSession(ctx, resolved.key, p.expectedSessionId);
    const updated = await ctx.store.patch(entry.key, patch, guard(p.expectedSessionId));
    return {
      ok: true,
      path: ctx.store.path,
      key: updated.key,
      entry: updated,
      resolved: resolvedModel(ctx.config, updated),
    };
  },
});

/** The store's compare-and-set option for a client's expectedSessionId. */
const guard = (expected: string | undefined) =>
  expected === undefined ? {} : { expectedSessionId: expected };

/**
 * The live session of `key` when its sessionId is `expected`; else the reference's
 * `expectedSessionId mismatch` (the store checks again when it writes, so a reset racing this
 * request cannot slip between the check and the write).
 */
async function expectSession(ctx: SessionMethodsDeps, key: string, expected: string): Promise<SessionView> {
  const entry = await ctx.store.get(key);
  if (!entry) throw sessionNotFound(key);
  if (entry.sessionId !== expected) throw sessionIdMismatch(key, expected, entry.sessionId);
  return entry;
}

/** `agent:<agentId>:<mainKey>`: the session an agent's direct messages share. */
function mainSessionKey(config: Config, agentId: string): string {
  return `agent:${agentId}:${config.session.mainKey}`;
}

/** The model a session's next turn uses: its override, else its agent's primary (the reference's `resolved`). */
function resolvedModel(
  config: Config,
  entry: SessionView,
): { modelProvider: string | null; model: string | null } {
  if (entry.providerOverride && entry.modelOverride) {
    return { modelProvider: entry.providerOverride, model: entry.modelOverride };
  }
  const d = listDefaults(config, entry.agentId);
  return { modelProvider: d.modelProvider, model: d.model };
}

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
    return {
      ok: true,
      path: ctx.store.path,
      key: entry.key,
      entry,
      resolved: resolvedModel(ctx.config, entry),
    };
  },
});

export const SessionsDeleteParams = Type.Object(
  {
    key: Key,
    agentId: Type.Optional(AgentId),
    /** Also remove the retired row and its transcript now instead of at pruneAfter. */
    deleteTranscript: Type.Optional(Type.Boolean()),
    /** Refuse the delete unless the key's current sessionId is this one. */
    expectedSessionId: Type.Optional(SessionId),
  },
  { additionalProperties: false },
);

export const sessionsDelete = defineMethod({
  name: "sessions.delete",
  scope: "operator.admin",
  params: SessionsDeleteParams,
  handler: async (ctx: SessionMethodsDeps, p) => {
    const { entry } = await requireSession(ctx.store, ctx.config, p.key, p.agentId);
    if (p.expectedSessionId !== undefined && entry.sessionId !== p.expectedSessionId) {
      throw sessionIdMismatch(entry.key, p.expectedSessionId, entry.sessionId);
    }
    // A running turn still appends to this sessionId; removing its transcript under it would lose that.
    if (p.deleteTranscript && hasRun(ctx, entry.key)) {
      throw invalidRequest(`session has an active run: ${entry.key}`, {
        code: "SESSION_BUSY",
        key: entry.key,
      });
    }
    const retired = await ctx.store.retire(entry.key, guard(p.expectedSessionId));
    if (!retired) throw sessionNotFound(entry.key);
    const purged = p.deleteTranscript ? await ctx.store.purge(entry.sessionId) : false;
    return {
      ok: true,
      path: ctx.store.path,
      key: entry.key,
      sessionId: entry.sessionId,
      deleted: true,
      // The transcripts kept (readable with chat.history {sessionId} until pruned); none when purged.
      archived: purged ? [] : [entry.sessionId],
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
    /** Keel: page through the entries sessions.compact moved to the transcript's archive instead. */
    compacted: Type.Optional(Type.Boolean()),
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
    const read = p.compacted ? ctx.store.readCompacted : ctx.store.readHistory;
    const page = await read.call(ctx.store, session.sessionId, { limit, offset });
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
