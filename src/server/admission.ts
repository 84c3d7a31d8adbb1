// TCP admission: caps on sockets whose request has not arrived yet, and the file-descriptor budget.
import { readdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { GatewayConfig } from "../config/schema.js";
import { canonicalIp, ClientAddresses } from "./address.js";
import type { ShedLog } from "./shedding.js";

export interface AdmissionOptions {
  /** Sockets whose request headers have not all arrived, at most. */
  maxPending: number;
  /** The same, per peer address (a trusted proxy's sockets are exempt: they carry many clients). */
  maxPendingPerAddress: number;
  /** Client sockets the descriptor limit leaves room for (undefined: no fd budget). */
  socketBudget: number | undefined;
  addresses: ClientAddresses;
  shed: ShedLog;
}

/**
 * Watches every TCP socket the HTTP server accepts. One that has not finished sending its
 * request headers is "pending"; past a cap the oldest pending socket is destroyed, never a
 * socket serving a request or an upgraded WebSocket, so a flood of half-sent requests costs the
 * attacker their own oldest sockets while a fresh, quick client (a probe, a CLI) still fits.
 * The header timeout clears the rest. The fd budget works the same way: before the process
 * could run out of descriptors (and accept() start failing for everyone), pending sockets go.
 */
export class SocketAdmission {
  /** Pending sockets, oldest first. */
  private readonly pending = new Map<Socket, string>();
  private readonly byAddress = new Map<string, number>();
  private open = 0;

  constructor(private readonly o: AdmissionOptions) {}

  /** Registers the listeners on `server`; call before any other `connection` listener. */
  attach(server: Server): void {
    server.on("connection", (socket: Socket) => this.onSocket(socket));
    // The headers are in: from here the request timeout bounds the socket, not these caps.
    server.on("request", (req) => this.settle(req.socket));
    server.on("upgrade", (req) => this.settle(req.socket));
  }

  /** Pending sockets now (for tests and status). */
  pendingCount(): number {
    return this.pending.size;
  }

  /** Accepted sockets still open. */
  openCount(): number {
    return this.open;
  }

  private onSocket(socket: Socket): void {
    const ip = canonicalIp(socket.remoteAddress ?? "unknown");
    this.open += 1;
    socket.once("close", () => {
      this.open -= 1;
      this.settle(socket);
    });
    const { maxPending, maxPendingPerAddress, socketBudget, addresses, shed } = this.o;
    if (!addresses.isTrusted(ip) && (this.byAddress.get(ip) ?? 0) >= maxPendingPerAddress) {
      this.evictOldest((_, a) => a === ip);
      shed.note("gateway.http.maxPendingPerAddress");
    }
    if (this.pending.size >= maxPending) {
      this.evictOldest(() => true);
      shed.note("gateway.http.maxPendingSockets");
    }
    if (socketBudget !== undefined && this.open > socketBudget) {
      shed.note("gateway.http.fdReserve");
      // Nothing pending to give up: this socket is the one that does not fit.
      if (!this.evictOldest(() => true)) {
        socket.destroy();
        return;
      }
    }
    this.pending.set(socket, ip);
    this.byAddress.set(ip, (this.byAddress.get(ip) ?? 0) + 1);
  }

  private evictOldest(match: (socket: Socket, ip: string) => boolean): boolean {
    for (const [socket, ip] of this.pending) {
      if (!match(socket, ip)) continue;
      this.settle(socket);
      socket.destroy();
      return true;
    }
    return false;
  }

  private settle(socket: Socket): void {
    const ip = this.pending.get(socket);
    if (ip === undefined) return;
    this.pending.delete(socket);
    const n = (this.byAddress.get(ip) ?? 1) - 1;
    if (n <= 0) this.byAddress.delete(ip);
    else this.byAddress.set(ip, n);
  }
}

/**
 * The soft "Max open files" limit from /proc/self/limits (Linux), or undefined elsewhere or when
 * unlimited. Node has no API for RLIMIT_NOFILE.
 */
export function readFdLimit(path = "/proc/self/limits"): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  return m?.[1] === undefined || m[1] === "unlimited" ? undefined : Number(m[1]);
}

/** Descriptors open now (Linux /proc/self/fd), 0 where that cannot be read. */
function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}

/**
 * Client sockets the fd limit leaves room for: the limit (configured, else read) minus the
 * reserve, minus what the process already holds (store, logs, stdio, the listener).
 */
export function socketBudget(
  fdLimit: number,
  fdReserve: number,
  openNow: number = openFds(),
): number | undefined {
  const limit = fdLimit > 0 ? fdLimit : readFdLimit();
  if (limit === undefined) return undefined;
  return Math.max(1, limit - fdReserve - openNow);
}

/** What the HTTP server's guards give the rest of the wiring. */
export interface ServerGuards {
  addresses: ClientAddresses;
  shed: ShedLog;
  admission: SocketAdmission;
}

/**
 * Puts the header/request timeouts and the socket caps of `gateway.http` on `server`, with the
 * client-address resolver (`gateway.trustedProxies`) the per-address budgets share.
 */
export function guardServer(
  server: Server,
  gateway: GatewayConfig,
  shed: ShedLog,
  addresses: ClientAddresses = new ClientAddresses(gateway.trustedProxies),
): ServerGuards {
  const { http } = gateway;
  // Node requires headersTimeout <= requestTimeout; its own defaults hold a half-sent request
  // for a minute or more. The check runs every connectionsCheckingInterval (set at creation).
  server.requestTimeout = http.requestTimeoutMs;
  server.headersTimeout = Math.min(http.headersTimeoutMs, http.requestTimeoutMs);
  const admission = new SocketAdmission({
    maxPending: http.maxPendingSockets,
    maxPendingPerAddress: http.maxPendingPerAddress,
    socketBudget: socketBudget(http.fdLimit, http.fdReserve),
    addresses,
    shed,
  });
  admission.attach(server);
  return { addresses, shed, admission };
}
