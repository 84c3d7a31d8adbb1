// Session counts and the newest sessions, per agent and in all: what health and status report of the store.
import type { SessionStore } from "../sessions/store.js";

/** The part of the store a summary reads (its getter throws until the store is open). */
export type SummaryStore = Pick<SessionStore, "list" | "path">;

/** Most recently updated sessions listed per agent and in all (the reference's `recent`). */
const RECENT = 5;

export interface SessionsSummary {
  path: string;
  count: number;
  recent: { key: string; updatedAt: number; age: number }[];
}

/** Count and newest sessions of one agent (or all): one indexed page and one count. */
export async function sessionsOf(
  store: SummaryStore,
  agentId: string | undefined,
  showKeys: boolean,
): Promise<SessionsSummary> {
  const page = await store.list({
    limit: showKeys ? RECENT : 1,
    ...(agentId === undefined ? {} : { agentId }),
  });
  const now = Date.now();
  return {
    path: store.path,
    count: page.total,
    recent: showKeys
      ? page.rows.map((r) => ({ key: r.key, updatedAt: r.updatedAt, age: now - r.updatedAt }))
      : [],
  };
}

/** The store when it is open; health must answer even if it is not (it never fails on it). */
export function openStore(ctx: { store: SummaryStore }): SummaryStore | undefined {
  try {
    return ctx.store;
  } catch {
    return undefined;
  }
}
