// The gateway's own startup steps (crash-loop wait, hooks state), its presence entry and its work sample.
import { randomUUID } from "node:crypto";
import { hostname, release } from "node:os";
import type { Config } from "../config/schema.js";
import type { RestartSentinel } from "../lifecycle/backoff.js";
import type { Logger } from "../lifecycle/logger.js";
import type { StartupStep, StartupSteps } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import type { PresenceEntry } from "../protocol/frames.js";
import { VERSION } from "../version.js";
import type { Connections } from "./connections.js";
import type { HealthMonitor } from "./health.js";
import type { Runtime } from "./runtime.js";
import type { LoadedInfo } from "./services.js";

/** The crash-loop wait: past the rapid-start threshold, sleep before any heavy startup work. */
export function restartBackoffStep(
  sentinel: RestartSentinel,
  startup: StartupSteps,
  logger: Logger,
  sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  onDecision?: (decision: ReturnType<RestartSentinel["recordStart"]>) => void,
): StartupStep {
  return {
    name: "restart-backoff",
    run: async (signal) => {
      const decision = sentinel.recordStart();
      onDecision?.(decision);
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

/** The hooks subsystem's state: an invalid section disables it with the reason (stability §3). */
export function hooksStep(
  config: Config,
  loaded: LoadedInfo | undefined,
  subsystems: Subsystems,
  logger: Logger,
): StartupStep {
  return {
    name: "hooks",
    run: () => {
      const result = loaded?.sections.hooks;
      if (result && !result.ok) {
        const reason = result.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
        subsystems.set("hooks", "disabled", reason);
        logger.error({ problems: result.problems }, `hooks disabled: ${reason}`);
      } else if (!config.hooks.enabled) subsystems.set("hooks", "off");
      else subsystems.set("hooks", "disabled", "webhooks are not available in this version of keel");
    },
  };
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

/** What a periodic stability sample records about the work in flight (no throw before startup). */
export function workSample(health: HealthMonitor, connections: Connections, runtime: Runtime) {
  const { delayP99Ms, delayMaxMs, utilization } = health.snapshot().eventLoop;
  return {
    active: runtime.runsIfReady?.stats().active ?? 0,
    connections: connections.count(),
    eventLoop: { delayP99Ms, delayMaxMs, utilization },
  };
}
