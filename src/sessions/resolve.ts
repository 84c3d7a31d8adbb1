// Key → session for callers: canonical key, origin rules for creating, and "must exist" lookups.
import type { Config } from "../config/schema.js";
import { assertCreatable, type KeyOrigin, type ResolvedKey, resolveSessionKey } from "./keys.js";
import { type SessionStore, type SessionView, sessionNotFound } from "./store.js";

export interface OpenOptions {
  origin: KeyOrigin;
  agentId?: string;
}

/**
 * The live session for what a caller sent, created when missing unless the caller's origin may
 * not create that key (HTTP and reserved prefixes). Existing sessions are open to every origin.
 */
export async function openSession(
  store: SessionStore,
  config: Config,
  rawKey: string,
  options: OpenOptions,
): Promise<{ entry: SessionView; created: boolean; resolved: ResolvedKey }> {
  const resolved = resolveSessionKey(config, rawKey, options.agentId);
  const existing = await store.get(resolved.key);
  if (existing) return { entry: existing, created: false, resolved };
  assertCreatable(resolved.key, options.origin);
  const { entry, created } = await store.ensure(resolved.agentId, resolved.key);
  return { entry, created, resolved };
}

/** The live session of an existing key; `INVALID_REQUEST` naming the key when there is none. */
export async function requireSession(
  store: SessionStore,
  config: Config,
  rawKey: string,
  agentId?: string,
): Promise<{ entry: SessionView; resolved: ResolvedKey }> {
  const resolved = resolveSessionKey(config, rawKey, agentId);
  const entry = await store.get(resolved.key);
  if (!entry) throw sessionNotFound(resolved.key);
  return { entry, resolved };
}
