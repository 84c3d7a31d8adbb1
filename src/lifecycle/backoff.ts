// Crash-loop backoff (stability §5): a sentinel file counts rapid starts; past the threshold,
// heavy startup work waits 5 s, doubling to 120 s. The listener is already up while it waits.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GatewayConfig } from "../config/schema.js";

export type BackoffConfig = GatewayConfig["restartBackoff"];

interface SentinelData {
  lastStartAt: number;
  rapidCount: number;
  cleanExit?: boolean;
}

export interface StartDecision {
  /** Rapid starts in a row, this one included (0 for a first or non-rapid start). */
  rapidCount: number;
  /** How long to wait before heavy startup work (ms). */
  delayMs: number;
  /** Why the sentinel was ignored, if it was (corrupt, unreadable, unwritable). */
  note?: string;
}

/** The wait for a given rapid-start count: 0 up to the threshold, then initial × 2^n, capped. */
export function backoffDelay(rapidCount: number, cfg: BackoffConfig): number {
  if (rapidCount <= cfg.threshold) return 0;
  const exp = Math.min(rapidCount - cfg.threshold - 1, 30);
  return Math.min(cfg.initialDelayMs * 2 ** exp, cfg.maxDelayMs);
}

export class RestartSentinel {
  readonly path: string;
  private readonly cfg: BackoffConfig;
  private readonly now: () => number;

  constructor(stateDir: string, cfg: BackoffConfig, now: () => number = Date.now) {
    this.path = join(stateDir, "restart-sentinel.json");
    this.cfg = cfg;
    this.now = now;
  }

  /** Records this start and says how long to wait. Never throws: a bad sentinel is a first start. */
  recordStart(): StartDecision {
    const now = this.now();
    const { data: prev, note } = this.read();
    const rapid = prev !== undefined && !prev.cleanExit && now - prev.lastStartAt < this.cfg.rapidWindowMs;
    const rapidCount = rapid ? prev.rapidCount + 1 : 0;
    const writeNote = this.write({ lastStartAt: now, rapidCount });
    // An unwritable sentinel cannot count a loop: treat as a first start rather than wait forever.
    if (writeNote) return { rapidCount: 0, delayMs: 0, note: writeNote };
    return { rapidCount, delayMs: backoffDelay(rapidCount, this.cfg), ...(note ? { note } : {}) };
  }

  /** After stable uptime: the next start is not part of a loop. */
  markStable(): void {
    this.write({ lastStartAt: this.read().data?.lastStartAt ?? this.now(), rapidCount: 0 });
  }

  /** A graceful shutdown is not a crash: the next start counts as first. */
  markCleanExit(): void {
    const prev = this.read().data;
    this.write({ lastStartAt: prev?.lastStartAt ?? this.now(), rapidCount: 0, cleanExit: true });
  }

  private read(): { data?: SentinelData; note?: string } {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === "ENOENT" ? {} : { note: `sentinel unreadable (${code}); treated as first start` };
    }
    try {
      const d = JSON.parse(text) as Partial<SentinelData>;
      if (
        typeof d.lastStartAt === "number" &&
        Number.isFinite(d.lastStartAt) &&
        Number.isInteger(d.rapidCount)
      ) {
        return {
          data: {
            lastStartAt: d.lastStartAt,
            rapidCount: Math.max(0, d.rapidCount as number),
            cleanExit: d.cleanExit === true,
          },
        };
      }
    } catch {
      // fall through
    }
    return { note: "sentinel corrupt; treated as first start" };
  }

  private write(data: SentinelData): string | undefined {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
      renameSync(tmp, this.path);
      return undefined;
    } catch (err) {
      return `sentinel not writable (${(err as NodeJS.ErrnoException).code ?? err}); backoff disabled`;
    }
  }
}
