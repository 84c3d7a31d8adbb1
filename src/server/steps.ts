// The gateway's own startup steps (crash-loop wait, hooks state) and its own presence entry.
import { randomUUID } from "node:crypto";
import { hostname, release } from "node:os";
import type { Config } from "../config/schema.js";
import type { RestartSentinel } from "../lifecycle/backoff.js";
import type { Logger } from "../lifecycle/logger.js";
import type { StartupStep, StartupSteps } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import type { PresenceEntry } from "../protocol/frames.js";
import { VERSION } from "../version.js";
import type { LoadedInfo } from "./services.js";

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

/** The hooks subsystem's state at start (stability §3); a reload sets it again through hooksState. */
export function hooksStep(
  config: Config,
  loaded: LoadedInfo | undefined,
  subsystems: Subsystems,
  logger: Logger,
): StartupStep {
  return { name: "hooks", run: () => hooksState(config, loaded?.sections, subsystems, logger) };
}

/**
 * The hooks subsystem's state for a config that loaded: an invalid section disables it with the
 * reason, naming every path; a valid one is off or (not served yet) disabled.
 */
export function hooksState(
  config: Config,
  sections: LoadedInfo["sections"] | undefined,
  subsystems: Subsystems,
  logger: Logger,
): void {
  const result = sections?.hooks;
  if (result && !result.ok) {
    const reason = result.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
    subsystems.set("hooks", "disabled", reason);
    logger.error({ problems: result.problems }, `hooks disabled: ${reason}`);
  } else if (!config.hooks.enabled) subsystems.set("hooks", "off");
  else subsystems.set("hooks", "disabled", "webhooks are not available in this version of keel");
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
