// The cached health snapshot: refreshed on a background timer, served to `health` and hello-ok.
import { type IntervalHistogram, monitorEventLoopDelay, performance } from "node:perf_hooks";
import type { StartupSteps } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import type { HealthSnapshot, HealthSource } from "../methods/context.js";

export interface HealthMonitorOptions {
  startedAt: number;
  startup: StartupSteps;
  subsystems: Subsystems;
  defaultAgentId: () => string;
  refreshMs: number;
}

/** p99 event-loop delay above this marks the loop degraded (a turn this slow delays every client). */
const DEGRADED_DELAY_MS = 500;

type Probe = Omit<HealthSnapshot, "subsystems" | "startup" | "ok" | "uptimeMs" | "defaultAgentId">;

/**
 * Owns the event-loop histogram and the refresh timer. Memory and event-loop figures come from
 * the last probe; subsystems and startup steps are read live, because a client polling health
 * during startup must see a step finish at once, not up to `healthRefreshMs` later.
 */
export class HealthMonitor implements HealthSource {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private probe: Probe;
  private lastProbeAt = performance.now();
  private lastElu = performance.eventLoopUtilization();
  private lastCpu = process.cpuUsage();
  private degradedSince: number | null = null;
  /** Bumped on every refresh: `stateVersion.health`. */
  version = 0;
  /** Called after each background refresh (the socket layer broadcasts a `health` event). */
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: HealthMonitorOptions) {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.probe = this.measure();
    this.timer = setInterval(() => {
      this.probe = this.measure();
      for (const listener of this.listeners) listener();
    }, options.refreshMs);
    // Health must never be the reason the process stays alive.
    this.timer.unref();
  }

  /** Runs `listener` after each background refresh; returns the unsubscribe. */
  onRefresh(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(probe = false): HealthSnapshot {
    if (probe) this.probe = this.measure();
    const subsystems = this.options.subsystems.snapshot();
    const { startup } = this.options;
    const failed = startup.phase === "failed" || Object.values(subsystems).some((s) => s.state === "error");
    return {
      ok: !failed,
      ...this.probe,
      uptimeMs: Date.now() - this.options.startedAt,
      defaultAgentId: this.options.defaultAgentId(),
      subsystems,
      startup: { phase: startup.phase, steps: startup.status.map((s) => ({ ...s })) },
    };
  }

  wireSnapshot(): Record<string, unknown> {
    const s = this.snapshot();
    // Every event-loop figure the reference's health event lists; the p50 is Keel's own.
    const { delayP50Ms: _ownFigure, ...eventLoop } = s.eventLoop;
    // The reference types `ok` as literal true: leave it out rather than send `false`.
    return {
      ...(s.ok ? { ok: true } : {}),
      ts: s.ts,
      durationMs: s.durationMs,
      eventLoop,
      defaultAgentId: s.defaultAgentId,
    };
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private measure(): Probe {
    const t0 = performance.now();
    const h = this.histogram;
    const ms = (ns: number) => Math.round((ns / 1e6) * 10) / 10;
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastElu = performance.eventLoopUtilization();
    const delayP99Ms = h.count > 0 ? ms(h.percentile(99)) : 0;
    const degraded = delayP99Ms > DEGRADED_DELAY_MS;
    this.degradedSince = degraded ? (this.degradedSince ?? Date.now()) : null;
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    const intervalMs = Math.round(t0 - this.lastProbeAt);
    const eventLoop = {
      degraded,
      degradedSinceMs: this.degradedSince,
      reasons: delayP99Ms > DEGRADED_DELAY_MS ? [`event loop p99 delay ${delayP99Ms} ms`] : [],
      intervalMs,
      delayP50Ms: h.count > 0 ? ms(h.percentile(50)) : 0,
      delayP99Ms,
      delayMaxMs: h.count > 0 ? ms(h.max) : 0,
      utilization: Math.round(elu.utilization * 1000) / 1000,
      cpuCoreRatio:
        intervalMs > 0 ? Math.round(((cpu.user + cpu.system) / 1000 / intervalMs) * 1000) / 1000 : 0,
    };
    h.reset();
    this.lastProbeAt = t0;
    this.version += 1;
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    return {
      ts: Date.now(),
      durationMs: Math.round((performance.now() - t0) * 100) / 100,
      memory: { rss, heapUsed, heapTotal, external },
      eventLoop,
    };
  }
}
