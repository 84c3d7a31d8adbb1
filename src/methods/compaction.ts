// sessions.compact: trims a transcript to its newest entries; the older ones move to its archive.
import { Type } from "@sinclair/typebox";
import { requireSession } from "../sessions/resolve.js";
import { defineMethod } from "./registry.js";
import type { SessionMethodsDeps } from "./sessions.js";

/** Entries kept when the caller sets no `maxLines` (the reference CLI always sends one). */
const DEFAULT_MAX_LINES = 400;

export const SessionsCompactParams = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 512 }),
    agentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Newest transcript entries to keep; the older ones move to the transcript's archive. */
    maxLines: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

/**
 * Result: `{ok, key, compacted, kept}` as the reference sends it (`kept`: entries left in the
 * transcript), plus Keel's `sessionId` and `archived` (entries this call moved). The moved
 * entries stay readable with `chat.history {compacted: true}` until the session is pruned; the
 * model reads only what was kept. A running turn is not disturbed: its reply lands after the cut.
 */
export const sessionsCompact = defineMethod({
  name: "sessions.compact",
  scope: "operator.admin",
  params: SessionsCompactParams,
  handler: async (ctx: SessionMethodsDeps, p) => {
    const { entry } = await requireSession(ctx.store, ctx.config, p.key, p.agentId);
    const r = await ctx.store.compact(entry.key, p.maxLines ?? DEFAULT_MAX_LINES);
    return {
      ok: true,
      key: entry.key,
      compacted: r.compacted,
      kept: r.kept,
      sessionId: entry.sessionId,
      archived: r.moved,
    };
  },
});

/** The compaction family, registered as one array. */
export const compactionMethods = [sessionsCompact];
