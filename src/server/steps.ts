// The gateway's own startup steps (crash-loop wait, hooks state), its presence entry and its work sample.
import { randomUUID } from "node:crypto";
import { hostname, networkInterfaces, release } from "node:os";
import type { ConfigSource } from "../config/source.js";
import { reportHooks } from "../hooks/state.js";
import type { RestartSentinel } from "../lifecycle/backoff.js";
import type { Logger } from "../lifecycle/logger.js";
import type { StartupStep, StartupSteps } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import type { PresenceEntry } from "../protocol/frames.js";
import { VERSION } from "../version.js";
import type { Connections } from "./connections.js";
import type { HealthMonitor } from "./health.js";
import type { Runtime } from "./runtime.js";

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
  const entry: PresenceEntry = {
    ts: startedAt,
    host: hostname(),
    ip: primaryAddress(),
    version: VERSION,
    platform: `${process.platform} ${release()}`,
    deviceFamily: DEVICE_FAMILIES[process.platform] ?? process.platform,
    mode: "gateway",
    reason: "self",
    instanceId: randomUUID(),
  };
  // The reference's line for the gateway itself.
  entry.text = `Gateway: ${entry.host} (${entry.ip}) · app ${VERSION} · mode gateway · reason self`;
  return () => entry;
}

/** The names clients show for an OS (the `deviceFamily` of presence entries). */
const DEVICE_FAMILIES: Partial<Record<NodeJS.Platform, string>> = {
  linux: "Linux",
  darwin: "macOS",
  win32: "Windows",
  freebsd: "FreeBSD",
};

/** The machine's first non-internal IPv4 address (what other machines may know it by), else loopback. */
function primaryAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
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
