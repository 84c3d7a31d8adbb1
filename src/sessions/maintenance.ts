// Session maintenance: maxEntries and pruneAfter, applied on write (in batches) and by a timer,
// which also folds session runs' usage rows older than usageDetailDays.
import { parseDuration } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { PruneOptions, PruneResult, SessionStore } from "./store.js";
import { DAY_MS, usageDay } from "./usage-store.js";

/** Usage rows folded per commit: each batch is a short write, and the loop yields between them. */
export const FOLD_BATCH = 2_000;

export interface MaintenanceHandle {
  /** Runs one full pass now (every agent); resolves with what it removed. */
  sweep(): Promise<PruneResult>;
  /** Starts folding old usage rows now (the timer does it every interval); see onFolded. */
  foldUsage(): void;
  /** Stops the timer and the on-write pass. */
  dispose(): void;
}

export interface MaintenanceOptions {
  /** Called with each pass's error; a failed pass is retried on the next tick, never thrown. */
  onError?: (err: unknown) => void;
  /** Called after a pass that removed something. */
  onPruned?: (result: PruneResult, agentId?: string) => void;
  /** Called after the usage rows of days before `beforeDay` were folded (`rows` of them). */
  onFolded?: (rows: number, beforeDay: string) => void;
}

/**
 * Session creations per agent between two on-write passes. The cap may be exceeded by at most
 * one batch between passes; a pass costs two indexed queries, so a tenth of the cap (at most
 * 64) keeps it cheap without letting the store drift far past the cap.
 */
export function writeBatch(maxEntries: number): number {
  return Math.max(1, Math.min(64, Math.floor(maxEntries / 10)));
}

/**
 * Starts maintenance: a pass for an agent after every {@link writeBatch} sessions it creates,
 * and a pass over every agent each `session.maintenance.intervalMs`. `keep(sessionKey)` protects
 * a session (the run engine passes "has an active run"). Retired rows do not count towards
 * the cap; subagent, cron and hook sessions are pruned like any other. Returns the disposer.
 */
export function startMaintenance(
  store: SessionStore,
  config: Config,
  keep: (sessionKey: string) => boolean,
  options: MaintenanceOptions = {},
): MaintenanceHandle {
  const m = config.session.maintenance;
  const base: Omit<PruneOptions, "agentId"> = {
    maxEntries: m.maxEntries,
    pruneAfterMs: parseDuration(m.pruneAfter),
    keep,
  };
  const batch = writeBatch(m.maxEntries);
  const createdSince = new Map<string, number>();
  // One pass at a time: a timer pass and a write pass racing would only repeat the same work.
  let running: Promise<PruneResult> | undefined;
  let disposed = false;

  const pass = async (agentId?: string): Promise<PruneResult> => {
    if (running) {
      // A write pass already covers its agent; a full sweep waits and then runs for real.
      if (agentId !== undefined) return running;
      await running.catch(() => undefined);
      return pass();
    }
    const p = store
      .prune(agentId === undefined ? { ...base } : { ...base, agentId })
      .then((result) => {
        if (result.pruned + result.purged > 0) options.onPruned?.(result, agentId);
        return result;
      })
      .finally(() => {
        running = undefined;
      });
    running = p;
    return p;
  };
  const quiet = (agentId?: string) => {
    if (disposed) return;
    pass(agentId).catch((err: unknown) => options.onError?.(err));
  };

  const unsubscribe = store.onSessionCreated((entry) => {
    if (disposed) return;
    const n = (createdSince.get(entry.agentId) ?? 0) + 1;
    if (n < batch) {
      createdSince.set(entry.agentId, n);
      return;
    }
    createdSince.delete(entry.agentId);
    // After the creating write has returned to its caller, not inside it.
    setImmediate(() => quiet(entry.agentId));
  });
  // Batches until none is full, yielding to the event loop between them; one loop at a time.
  let folding = false;
  const foldUsage = () => {
    const usage = store.usage;
    if (disposed || folding || !usage) return;
    folding = true;
    const beforeDay = usageDay(Date.now() - m.usageDetailDays * DAY_MS);
    let rows = 0;
    const step = () => {
      let more = false;
      try {
        const n = disposed ? 0 : usage.fold(beforeDay, FOLD_BATCH);
        rows += n;
        more = n === FOLD_BATCH;
        if (more) setImmediate(step);
        else if (rows > 0 && !disposed) options.onFolded?.(rows, beforeDay);
      } catch (err) {
        options.onError?.(err);
      } finally {
        // A throwing callback must not leave the loop marked as running for good.
        if (!more) folding = false;
      }
    };
    step();
  };
  const timer = setInterval(() => {
    quiet();
    foldUsage();
  }, m.intervalMs);
  // Maintenance alone must never keep the process alive.
  timer.unref();

  return {
    sweep: () => pass(),
    foldUsage,
    dispose: () => {
      disposed = true;
      clearInterval(timer);
      unsubscribe();
      createdSince.clear();
    },
  };
}
