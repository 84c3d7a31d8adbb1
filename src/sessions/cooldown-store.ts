// Cooldown state in the session database (schema v5 `model_cooldowns`): a restart keeps providers cooled.
import type { CooldownEntry, CooldownPort } from "../models/cooldowns.js";
import type { SqlDb, SqlStatement } from "./driver.js";

/**
 * The models layer's CooldownPort over SQLite. One row per key, the entry as JSON (it names
 * profiles and a fingerprint, never a secret); written on every change, read once at start.
 */
export class SqliteCooldownStore implements CooldownPort {
  private readonly upsert: SqlStatement;
  private readonly del: SqlStatement;
  private readonly all: SqlStatement;

  constructor(db: SqlDb) {
    this.upsert = db.prepare("INSERT OR REPLACE INTO model_cooldowns (key, until, entry) VALUES (?, ?, ?)");
    this.del = db.prepare("DELETE FROM model_cooldowns WHERE key = ?");
    this.all = db.prepare("SELECT entry FROM model_cooldowns ORDER BY until");
  }

  async load(): Promise<CooldownEntry[]> {
    const out: CooldownEntry[] = [];
    for (const row of this.all.all() as { entry: string }[]) {
      // A row this build cannot read is skipped: losing a cooldown beats failing the start.
      try {
        const e = JSON.parse(row.entry) as CooldownEntry;
        if (typeof e.key === "string" && typeof e.until === "number") out.push(e);
      } catch {
        continue;
      }
    }
    return out;
  }

  save(entry: CooldownEntry): void {
    this.upsert.run(entry.key, entry.until, JSON.stringify(entry));
  }

  remove(key: string): void {
    this.del.run(key);
  }
}
