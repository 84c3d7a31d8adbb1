// Test helpers for the session store: disposable temp state dirs and configs built from raw objects.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { openSqliteStore, type SqliteSessionStore } from "../../src/sessions/sqlite.js";

/** A config as the gateway would load it, from a raw object and no env. */
export function makeConfig(raw: Record<string, unknown> = {}): Config {
  return loadConfig({ path: "/nonexistent", raw, env: {} }).config;
}

/** A fresh temp dir; `dispose` removes it. */
export function tempDir(prefix = "keel-sessions-"): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A SQLite store in a fresh temp state dir; disposing closes it and removes the dir. */
export async function tempSqliteStore(
  raw: Record<string, unknown> = {},
): Promise<{ store: SqliteSessionStore; config: Config; dir: string; dispose: () => Promise<void> }> {
  const t = tempDir();
  const config = makeConfig(raw);
  const store = await openSqliteStore({ stateDir: t.dir, config });
  return {
    store,
    config,
    dir: t.dir,
    dispose: async () => {
      await store.close();
      t.dispose();
    },
  };
}
