// The gateway's own startup steps (crash-loop wait, hooks state) and its own presence entry.
import { randomUUID } from "node:crypto";
import { hostname, release } from "node:os";
import type { ConfigSource } from "../config/source.js";
import { reportHooks } from "../hooks/state.js";
import type { RestartSentinel } from "../lifecycle/backoff.js";
import type { Logger } from "../lifecycle/logger.js";
import type { StartupStep, StartupSteps } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import type { PresenceEntry } from "../protocol/frames.js";
import { VERSION } from "../version.js";

/** The crash-loop wait: past the rapid-start threshold, sleep before any heavy startup work. */
export function restartBackoffStep(
  sentinel: RestartSentinel,
  startup: StartupSteps,
  logger: Logger,
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
): StartupStep {
  return {
    name: "restart-backoff",
    run: async (signal) => {
      const decision = sentinel.recordStart();
      if (decision.note) logger.warn(decision.note);
      if (decision.delayMs > 0) {
        const msg = `waiting ${decision.delayMs} ms before startup work after ${decision.rapidCount} rapid restarts`;
        startup.detail("restart-backoff", msg);
        logger.warn({ rapidCount: decision.rapidCount, delayMs: decision.delayMs }, msg);
        await sleep(decision.delayMs, signal);
      }
    },
  };
}

/**
 * The hooks subsystem's state (stability §3): an invalid section is disabled with the reason,
 * and every later swap of the live config re-reports it. Returns the step and the unsubscribe.
 */
export function hooksStep(source: ConfigSource, subsystems: Subsystems, logger: Logger) {
  let stop: (() => void) | undefined;
  const step: StartupStep = {
    name: "hooks",
    run: () => {
      stop = reportHooks(source, subsystems, logger);
    },
  };
  return { step, stop: () => stop?.() };
}

/** The gateway's own presence entry (first in every presence list). */
export function selfPresence(startedAt: number): () => PresenceEntry {
  const entry = {
    ts: startedAt,
    host: hostname(),
    version: VERSION,
    platform: `${process.platform} ${release()}`,
    mode: "gateway",
    reason: "self",
    instanceId: randomUUID(),
  };
  return () => entry;
}
