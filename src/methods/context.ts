// Service types shared by the method families: events, connections, health, gateway and config info.
// Each family declares the part it needs (HealthDeps, RunMethodsDeps, …); methods/index.ts joins them.
import type { ConfigProblem } from "../config/load.js";
import type { PresenceEntry } from "../protocol/frames.js";
import type { Scope } from "../protocol/scopes.js";

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
  /**
   * A full-state event (presence, health, tick): once this broadcast has filled the total send
   * budget (`gateway.maxBufferedBytesTotal`) it is skipped for the remaining clients instead of
   * closing anyone — the next one carries the whole state again. Without this, the presence list
   * of 1,000 clients sent to 1,000 clients (~200 MB) shed a fifth of them mid-turn.
   */
  snapshot?: boolean;
  /** A session's event: who receives it depends on subscriptions (see SessionAudience). */
  session?: SessionAudience;
}

/**
 * Who gets one session's event.
 * - `run` (chat, agent): every operator without the `session-scoped-events` cap; a client with
 *   it only when it subscribed to the session's messages or started the run (`startedBy`).
 * - `changes` (sessions.changed): clients that called `sessions.subscribe`, and those subscribed
 *   to that session's messages.
 * - `messages` (session.message): clients subscribed to that session's messages.
 */
export interface SessionAudience {
  key: string;
  audience: "run" | "changes" | "messages";
  /** The connection id that started the run, if a WebSocket client did. */
  startedBy?: string | undefined;
}

/** Per-connection session subscriptions (`sessions.subscribe`, `sessions.messages.subscribe`). */
export interface SubscriptionBook {
  /** Sets or clears the socket's `sessions.subscribe` flag. False when the connection is gone. */
  setSessions(connId: string, on: boolean): boolean;
  /**
   * Adds one canonical session key. False when the connection is gone; throws INVALID_REQUEST
   * past `gateway.maxSessionSubscriptions` keys on that socket.
   */
  addMessages(connId: string, key: string): boolean;
  /** Removes one key; false when the connection is gone. */
  removeMessages(connId: string, key: string): boolean;
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
  /** Bytes queued to clients and not yet taken by their sockets (what gateway.maxBufferedBytesTotal caps). */
  bufferedBytes(): number;
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
    /** When the loop became degraded (epoch ms), null while it is not. */
    degradedSinceMs: number | null;
    reasons: string[];
    intervalMs: number;
    delayP50Ms: number;
    delayP99Ms: number;
    delayMaxMs: number;
    utilization: number;
    /** CPU time the process used per wall-clock time since the last probe (1 = one core busy). */
    cpuCoreRatio: number;
  };
  subsystems: Record<string, { state: string; reason?: string }>;
  startup: {
    phase: string;
    steps: { name: string; state: string; durationMs?: number; error?: string; detail?: string }[];
  };
}

/** What the gateway process is: fixed once it listens (status, logs.tail). */
export interface GatewayInfo {
  readonly version: string;
  /** Epoch ms when start() was called. */
  readonly startedAt: number;
  readonly stateDir: string;
  /** `<state>/logs/keel.log`, read by logs.tail. */
  readonly logFile: string;
  readonly listener: { readonly host: string; readonly port: number; readonly bind: "loopback" | "lan" };
  readonly authMode: "none" | "token" | "password";
}

/** The config file behind the effective config (config.get, status, config.patch). */
export interface ConfigFileInfo {
  /** `undefined` when started from an in-memory config. */
  readonly path: string | undefined;
  readonly exists: boolean;
  /** sha256 of the file's bytes (config.get's `hash`, what config.patch's `baseHash` must name). */
  readonly hash: string;
  /** sha256 of the effective config (config.get's `effectiveHash`). */
  readonly effectiveHash: string;
  /** Problems of degradable sections (an invalid `hooks` section), each with its path. */
  readonly issues: readonly ConfigProblem[];
  /** `status.config`: the hashes, the last reload and the keys waiting for a restart. */
  state(): ConfigReloadState;
  /** The file's JSON today (config.patch's merge base); `{}` when there is none. */
  fileJson(): unknown;
  /** Writes `text` atomically and applies it, unless `baseHash` is stale or the text is invalid. */
  write(text: string, baseHash: string, trigger: "config.patch" | "config.apply"): ConfigWriteResult;
}

/** `status.config`. */
export interface ConfigReloadState {
  hash: string;
  effectiveHash: string;
  lastReload: {
    at: number;
    ok: boolean;
    trigger: "start" | "watch" | "config.patch" | "config.apply";
    /** Why it was rejected (ok false), or the problems of sections it disabled (ok true). */
    problems: ConfigProblem[];
  };
  /** `restart` keys whose new value waits for `keel gateway restart`. */
  pendingRestart: string[];
  /** The file was invalid at start and the gateway runs on the last good copy. */
  startedOnLastGood?: true;
}

/** What config.patch / config.apply answer. */
export interface ConfigWriteResult {
  ok: true;
  path: string;
  hash: string;
  effectiveHash: string;
  pendingRestart: string[];
  issues: ConfigProblem[];
}
