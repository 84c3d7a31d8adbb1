// The live connections: a capped map, presence, and event fan-out with per-connection seq.
import type {
  BroadcastOptions,
  BroadcastResult,
  ConnectionsView,
  EventBus,
  SessionAudience,
  SubscriptionBook,
} from "../methods/context.js";
import { invalidRequest } from "../protocol/errors.js";
import { type PresenceEntry, PUBLIC_EVENTS } from "../protocol/frames.js";
import { hasScope, type Scope } from "../protocol/scopes.js";
import type { Connection } from "./connection.js";

export interface ConnectionsOptions {
  /** Authenticated connections at most (`gateway.maxConnections`). */
  max: number;
  /** The separate pre-auth budget (`gateway.preAuth`). */
  preAuth: { maxConnections: number; maxPerAddress: number };
  /** The gateway's own presence entry (first in every list). */
  self: () => PresenceEntry;
  /** Current `stateVersion.health`. */
  healthVersion: () => number;
  /** Bytes all sockets may hold unsent together (`gateway.maxBufferedBytesTotal`, read per broadcast). */
  maxBufferedTotal?: () => number;
  /** Told how many slow consumers the total budget just closed (to log it). */
  onSlowShed?: (closed: number) => void;
  /** A connection closed for not reading is gone (its buffers are garbage: release memory). */
  onSlowClosed?: () => void;
  /** Presence changes within this window go out as one `presence` event (default 500 ms). */
  presenceCoalesceMs?: number;
  /** Session keys one socket may subscribe to (`gateway.maxSessionSubscriptions`, read per call). */
  maxSubscriptions?: () => number;
  /** Entries a `presence` event lists at most (the gateway first, then the newest clients). */
  presenceEventMax?: () => number;
}

/**
 * One map of Connection objects (each owns its own state). Authenticated ones are capped at
 * `gateway.maxConnections`; sockets that have not authenticated yet have their own, smaller
 * budget (`gateway.preAuth`), in total and per client address, so a thousand idle upgrades
 * cannot keep a legitimate client out: past that budget the oldest pre-auth socket goes.
 */
export class Connections implements ConnectionsView, EventBus, SubscriptionBook {
  private readonly map = new Map<string, Connection>();
  /** Pre-auth sockets, oldest first (Set order is insertion order). */
  private readonly preAuth = new Set<Connection>();
  private readonly preAuthByAddress = new Map<string, number>();
  private readonly authenticated = new Set<Connection>();
  /** Authenticated sockets without `session-scoped-events`: every run event reaches them. */
  private readonly unscoped = new Set<Connection>();
  /** Reverse index of `sessions.messages.subscribe`: key → sockets (each socket owns its keys). */
  private readonly messageSubs = new Map<string, Set<Connection>>();
  /** Sockets that called `sessions.subscribe`. */
  private readonly sessionSubs = new Set<Connection>();
  /** Bumped whenever the authenticated set changes: `stateVersion.presence`. */
  presenceVersion = 0;
  private presenceTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: ConnectionsOptions) {}

  get max(): number {
    return this.options.max;
  }

  /** Whether another client may still authenticate (pre-auth sockets never use this room). */
  hasRoom(): boolean {
    return this.authenticated.size < this.options.max;
  }

  /**
   * The pre-auth sockets to close so one more from `ip` fits the pre-auth budget: that address's
   * oldest when it is at its own cap, then the oldest overall when the total is at its cap.
   * They leave the pre-auth count at once (the caller closes them).
   */
  makePreAuthRoom(ip: string): Connection[] {
    const { maxConnections, maxPerAddress } = this.options.preAuth;
    const victims: Connection[] = [];
    if ((this.preAuthByAddress.get(ip) ?? 0) >= maxPerAddress) {
      for (const c of this.preAuth) {
        if (c.ip === ip) {
          victims.push(c);
          this.leavePreAuth(c);
          break;
        }
      }
    }
    if (this.preAuth.size >= maxConnections) {
      const oldest = this.preAuth.values().next().value;
      if (oldest) {
        victims.push(oldest);
        this.leavePreAuth(oldest);
      }
    }
    return victims;
  }

  add(conn: Connection): void {
    this.map.set(conn.id, conn);
    this.preAuth.add(conn);
    this.preAuthByAddress.set(conn.ip, (this.preAuthByAddress.get(conn.ip) ?? 0) + 1);
  }

  /** A socket's connect succeeded: it moves from the pre-auth budget to the authenticated one. */
  promote(conn: Connection): void {
    this.leavePreAuth(conn);
    this.authenticated.add(conn);
    if (!conn.sessionScoped) this.unscoped.add(conn);
  }

  /** Removes a closed connection; a client that had authenticated changes presence. */
  remove(conn: Connection): void {
    if (!this.map.delete(conn.id)) return;
    this.leavePreAuth(conn);
    this.authenticated.delete(conn);
    this.unscoped.delete(conn);
    this.sessionSubs.delete(conn);
    for (const key of conn.subscriptions.messages) this.unindex(key, conn);
    conn.subscriptions.messages.clear();
    if (conn.identity) this.presenceChanged();
    // Its send buffer is garbage now that the socket is gone: time to hand the memory back.
    if (conn.slowConsumer) this.options.onSlowClosed?.();
  }

  /** Sockets in the pre-auth budget (for status and tests). */
  preAuthCount(): number {
    return this.preAuth.size;
  }

  private leavePreAuth(conn: Connection): void {
    if (!this.preAuth.delete(conn)) return;
    const n = (this.preAuthByAddress.get(conn.ip) ?? 1) - 1;
    if (n <= 0) this.preAuthByAddress.delete(conn.ip);
    else this.preAuthByAddress.set(conn.ip, n);
  }

  bufferedBytes(): number {
    let total = 0;
    for (const c of this.map.values()) if (c.state === "open") total += c.ws.bufferedAmount;
    return total;
  }

  count(): number {
    return this.map.size;
  }

  all(): IterableIterator<Connection> {
    return this.map.values();
  }

  stateVersion(): { presence: number; health: number } {
    return { presence: this.presenceVersion, health: this.options.healthVersion() };
  }

  /**
   * The presence list an event or hello-ok snapshot carries: at most `presenceEventMax` entries,
   * the gateway first, then the newest clients. Every client gets it, so an uncapped list would
   * cost O(N²) bytes at N clients; `system-presence` still answers the whole list.
   */
  presenceSnapshot(): PresenceEntry[] {
    const all = this.presence();
    const max = Math.max(1, this.options.presenceEventMax?.() ?? Infinity);
    return all.length <= max ? all : [all[0]!, ...all.slice(all.length - (max - 1))];
  }

  presence(): PresenceEntry[] {
    const out = [this.options.self()];
    for (const c of this.map.values()) {
      const id = c.identity;
      if (!id || c.state !== "open") continue;
      const entry: PresenceEntry = {
        ts: id.connectedAt,
        host: id.client.displayName ?? id.client.id,
        ip: c.ip,
        version: id.client.version,
        platform: id.client.platform,
        ...(id.client.deviceFamily ? { deviceFamily: id.client.deviceFamily } : {}),
        mode: id.client.mode,
        reason: "connect",
        roles: [id.role],
        scopes: [...id.scopes],
      };
      // The reference's line for a client: "Node: <address> · mode <mode>".
      entry.text = `Node: ${entry.ip ?? "unknown"} · mode ${entry.mode ?? "unknown"}`;
      if (id.deviceId) entry.deviceId = id.deviceId;
      if (id.client.instanceId) entry.instanceId = id.client.instanceId;
      out.push(entry);
    }
    return out;
  }

  /**
   * Bumps the presence version and schedules one `presence` event (droppable: a gap means
   * "refetch"). Coalesced because each event carries the whole list to every client: sent per
   * connect, a storm of N clients would cost O(N²) bytes (measured: 100 parallel connecting
   * clients fell from ~1800 to ~190 connects/s).
   */
  presenceChanged(): void {
    this.presenceVersion += 1;
    // Sockets closing during shutdown change presence too; nobody is left to tell.
    if (this.presenceTimer || this.closed) return;
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = undefined;
      const opts = { droppable: true, withStateVersion: true, snapshot: true };
      this.broadcast("presence", { presence: this.presenceSnapshot() }, opts);
    }, this.options.presenceCoalesceMs ?? 500);
    this.presenceTimer.unref();
  }

  /** Stops the pending presence event (gateway closing). */
  close(): void {
    this.closed = true;
    clearTimeout(this.presenceTimer);
    this.presenceTimer = undefined;
  }

  broadcast(event: string, payload: unknown, options: BroadcastOptions = {}): BroadcastResult {
    const result: BroadcastResult = { sent: 0, dropped: 0, closed: 0 };
    // Nobody connected (a gateway serving only HTTP): no payload to serialise for anyone.
    if (this.map.size === 0) return result;
    // Unknown families fail closed: only the public core events skip the scope check.
    const scope: Scope | undefined =
      options.scope ?? (PUBLIC_EVENTS.has(event) ? undefined : "operator.read");
    const targets: Iterable<Connection> = options.session
      ? this.audience(options.session)
      : this.map.values();
    // Nobody follows that session: not even the payload is serialized (a transcript row can be large).
    if (options.session && isEmpty(targets)) return result;
    const json = JSON.stringify(payload ?? {});
    const sv = options.withStateVersion ? this.stateVersion() : undefined;
    const budget = this.options.maxBufferedTotal?.();
    let buffered = 0;
    for (const c of targets) {
      if (c.state !== "open" || !c.identity) continue;
      if (scope && !hasScope(c.identity.scopes, scope)) continue;
      if (options.snapshot && budget !== undefined && buffered + json.length > budget) {
        result[c.skip()] += 1;
        continue;
      }
      result[c.broadcast(event, json, options.droppable === true, sv)] += 1;
      buffered += c.ws.bufferedAmount;
    }
    if (budget !== undefined && buffered > budget) result.closed += this.shedSlowest(buffered, budget);
    return result;
  }

  /**
   * Past the total send budget, closes the connections holding the most unsent bytes until the
   * rest fit: the slowest consumers go first, and a client that keeps up is never touched. The
   * socket is destroyed, not closed politely: a close frame would queue behind the very bytes
   * that must be released.
   */
  private shedSlowest(buffered: number, budget: number): number {
    const slowest = [...this.map.values()]
      .filter((c) => c.state === "open" && c.ws.bufferedAmount > 0)
      .sort((a, b) => b.ws.bufferedAmount - a.ws.bufferedAmount);
    let closed = 0;
    for (const c of slowest) {
      if (buffered <= budget) break;
      buffered -= c.ws.bufferedAmount;
      c.closeSlow(true);
      closed += 1;
    }
    if (closed > 0) this.options.onSlowShed?.(closed);
    return closed;
  }

  /**
   * The sockets one session event goes to, each once. Scoped sockets are found through the
   * subscription index, so a run's events cost O(its audience), not O(every connection): with a
   * thousand scoped clients each in its own session, a run's event reaches one socket.
   */
  private audience(target: SessionAudience): Iterable<Connection> {
    const subs = this.messageSubs.get(target.key);
    if (target.audience === "messages") return subs ?? [];
    const base = target.audience === "run" ? this.unscoped : this.sessionSubs;
    const extra = new Set<Connection>();
    for (const c of subs ?? []) if (!base.has(c)) extra.add(c);
    if (target.audience === "run" && target.startedBy !== undefined) {
      const starter = this.map.get(target.startedBy);
      if (starter && !base.has(starter)) extra.add(starter);
    }
    // The common cases allocate nothing per event: no extra sockets, or no base ones.
    if (extra.size === 0) return base;
    return base.size === 0 ? extra : [...base, ...extra];
  }

  setSessions(connId: string, on: boolean): boolean {
    const c = this.live(connId);
    if (!c) return false;
    c.subscriptions.sessions = on;
    if (on) this.sessionSubs.add(c);
    else this.sessionSubs.delete(c);
    return true;
  }

  addMessages(connId: string, key: string): boolean {
    const c = this.live(connId);
    if (!c) return false;
    const keys = c.subscriptions.messages;
    if (keys.has(key)) return true;
    const max = this.options.maxSubscriptions?.() ?? Infinity;
    if (keys.size >= max) {
      throw invalidRequest(
        `too many session subscriptions on this connection (gateway.maxSessionSubscriptions: ${max}); unsubscribe one first`,
        { code: "SUBSCRIPTION_LIMIT", limit: max },
      );
    }
    keys.add(key);
    let set = this.messageSubs.get(key);
    if (!set) this.messageSubs.set(key, (set = new Set()));
    set.add(c);
    return true;
  }

  removeMessages(connId: string, key: string): boolean {
    const c = this.live(connId);
    if (!c) return false;
    if (c.subscriptions.messages.delete(key)) this.unindex(key, c);
    return true;
  }

  /** Session keys with at least one message subscriber (status and tests). */
  subscribedKeys(): number {
    return this.messageSubs.size;
  }

  private unindex(key: string, conn: Connection): void {
    const set = this.messageSubs.get(key);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) this.messageSubs.delete(key);
  }

  private live(connId: string): Connection | undefined {
    const c = this.map.get(connId);
    return c?.state === "open" && this.authenticated.has(c) ? c : undefined;
  }

  sendTo(connId: string, event: string, payload: unknown): boolean {
    const c = this.map.get(connId);
    if (c?.state !== "open") return false;
    return c.sendEvent(event, payload);
  }
}

function isEmpty(items: Iterable<unknown>): boolean {
  for (const _ of items) return false;
  return true;
}
