// The services object every method handler receives: config, state, observability, connections, events.
import type { ConfigProblem } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../lifecycle/logger.js";
import type { StartupSteps } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import type { ModelRegistry } from "../models/registry.js";
import type { PresenceEntry } from "../protocol/frames.js";
import type { Scope } from "../protocol/scopes.js";
import type { RunEngine } from "../runs/engine.js";
import type { SessionStore } from "../sessions/store.js";

export interface BroadcastOptions {
  /**
   * May be skipped for a client whose send buffer is over `maxBufferedBytes` (tick, presence,
   * health, chat/agent deltas); its `seq` still advances so the client sees the gap. A
   * non-droppable event to such a client closes it 1008 "slow consumer".
   */
  droppable?: boolean;
  /**
   * Scope a connection needs to receive it. Events other than tick/presence/health/heartbeat/
   * shutdown default to `operator.read` (unknown families fail closed).
   */
  scope?: Scope;
  /** Attach `stateVersion {presence, health}` (presence and health events). */
  withStateVersion?: boolean;
}

/** What one broadcast did: delivered, skipped as droppable, or closed the slow client. */
export interface BroadcastResult {
  sent: number;
  dropped: number;
  closed: number;
}

/** Sends events to connected, authenticated clients. */
export interface EventBus {
  /** To every authenticated connection allowed to see it, each with its own `seq`. */
  broadcast(event: string, payload: unknown, options?: BroadcastOptions): BroadcastResult;
  /** A targeted event to one connection (no `seq`). False when that connection is gone. */
  sendTo(connId: string, event: string, payload: unknown): boolean;
}

/** Read-only view of the live connections. */
export interface ConnectionsView {
  readonly max: number;
  count(): number;
  /** The gateway itself plus every authenticated client. */
  presence(): PresenceEntry[];
}

/** The cached health snapshot (refreshed in the background; `probe` forces a fresh one). */
export interface HealthSource {
  snapshot(probe?: boolean): HealthSnapshot;
  /** The same data restricted to the reference's field names (hello-ok, `health` events). */
  wireSnapshot(): Record<string, unknown>;
}

export interface HealthSnapshot {
  ok: boolean;
  ts: number;
  durationMs: number;
  uptimeMs: number;
  defaultAgentId: string;
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  eventLoop: {
    degraded: boolean;
    reasons: string[];
    intervalMs: number;
    delayP50Ms: number;
    delayP99Ms: number;
    delayMaxMs: number;
    utilization: number;
  };
  subsystems: Record<string, { state: string; reason?: string }>;
  startup: {
    phase: string;
    steps: { name: string; state: string; durationMs?: number; error?: string; detail?: string }[];
  };
}

/**
 * What handlers get as `ctx`. An interface on purpose: the run engine and session store are
 * added here by the wiring in server/start.ts, and a family declares only the fields it needs
 * (`MethodDef<S, {store, config}>`), which this type must then satisfy.
 */
export interface GatewayContext {
  /** The effective config (immutable; a reload swaps the whole object). */
  readonly config: Config;
  /** Config file path (`undefined` when started from an in-memory config). */
  readonly configPath: string | undefined;
  readonly configExists: boolean;
  /** sha256 of the effective config (config.get's `hash`). */
  readonly configHash: string;
  /** Problems of degradable sections (an invalid `hooks` section), each with its path. */
  readonly configIssues: readonly ConfigProblem[];
  readonly stateDir: string;
  /** `<state>/logs/keel.log`, read by logs.tail. */
  readonly logFile: string;
  readonly logger: Logger;
  readonly version: string;
  /** Epoch ms when start() was called. */
  readonly startedAt: number;
  readonly startup: StartupSteps;
  readonly subsystems: Subsystems;
  readonly listener: { host: string; port: number; bind: "loopback" | "lan" };
  readonly authMode: "none" | "token" | "password";
  readonly connections: ConnectionsView;
  readonly events: EventBus;
  readonly health: HealthSource;
  /** The session store (built by the "sessions" startup step). */
  readonly store: SessionStore;
  /** The run engine (built with the store). */
  readonly engine: RunEngine;
  /** Providers and model refs (built by the "models" startup step). */
  readonly models: ModelRegistry;
  /** Run ids active in a session. */
  activeRuns(sessionKey: string): readonly string[];
  /** The running run's partial output, for chat.history's `inFlightRun`. */
  inFlightRun(sessionKey: string): unknown;
}
