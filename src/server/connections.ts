// The live connections: a capped map, presence, and event fan-out with per-connection seq.
import type { BroadcastOptions, BroadcastResult, ConnectionsView, EventBus } from "../methods/context.js";
import { CLOSE, type PresenceEntry, PUBLIC_EVENTS } from "../protocol/frames.js";
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
  /** Told how many slow consumers the total budget just closed (to log and release memory). */
  onSlowShed?: (closed: number) => void;
  /** Presence changes within this window go out as one `presence` event (default 500 ms). */
  presenceCoalesceMs?: number;
}

/**
 * One map of Connection objects (each owns its own state). Authenticated ones are capped at
 * `gateway.maxConnections`; sockets that have not authenticated yet have their own, smaller
 * budget (`gateway.preAuth`), in total and per client address, so a thousand idle upgrades
 * cannot keep a legitimate client out: past that budget the oldest pre-auth socket goes.
 */
export class Connections implements ConnectionsView, EventBus {
  private readonly map = new Map<string, Connection>();
  /** Pre-auth sockets, oldest first (Set order is insertion order). */
  private readonly preAuth = new Set<Connection>();
  private readonly preAuthByAddress = new Map<string, number>();
  private readonly authenticated = new Set<Connection>();
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
  }

  /** Removes a closed connection; a client that had authenticated changes presence. */
  remove(conn: Connection): void {
    if (!this.map.delete(conn.id)) return;
    this.leavePreAuth(conn);
    this.authenticated.delete(conn);
    if (conn.identity) this.presenceChanged();
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

  count(): number {
    return this.map.size;
  }

  all(): IterableIterator<Connection> {
    return this.map.values();
  }

  stateVersion(): { presence: number; health: number } {
    return { presence: this.presenceVersion, health: this.options.healthVersion() };
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
        mode: id.client.mode,
        reason: "connect",
        roles: [id.role],
        scopes: [...id.scopes],
      };
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
      this.broadcast("presence", { presence: this.presence() }, { droppable: true, withStateVersion: true });
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
    const json = JSON.stringify(payload ?? {});
    const sv = options.withStateVersion ? this.stateVersion() : undefined;
    let buffered = 0;
    for (const c of this.map.values()) {
      if (c.state !== "open" || !c.identity) continue;
      if (scope && !hasScope(c.identity.scopes, scope)) continue;
      result[c.broadcast(event, json, options.droppable === true, sv)] += 1;
      buffered += c.ws.bufferedAmount;
    }
    const budget = this.options.maxBufferedTotal?.();
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
      c.close(CLOSE.policy, "slow consumer");
      c.ws.terminate();
      closed += 1;
    }
    if (closed > 0) this.options.onSlowShed?.(closed);
    return closed;
  }

  sendTo(connId: string, event: string, payload: unknown): boolean {
    const c = this.map.get(connId);
    if (c?.state !== "open") return false;
    return c.sendEvent(event, payload);
  }
}
