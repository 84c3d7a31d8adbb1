// The client address of a request: the peer, or X-Forwarded-For's client when the peer is a trusted proxy.
import type { IncomingHttpHeaders } from "node:http";
import { BlockList, isIP } from "node:net";

/** `::ffff:1.2.3.4` → `1.2.3.4`: one spelling per client, so per-address budgets count it once. */
export function canonicalIp(ip: string): string {
  return ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/**
 * Resolves client addresses under `gateway.trustedProxies`. Behind a reverse proxy every
 * socket's peer is the proxy; only a proxy on the list may name the client, because any other
 * peer could write whatever X-Forwarded-For it likes to dodge per-address budgets and lockouts.
 */
export class ClientAddresses {
  private readonly trusted = new BlockList();
  private readonly any: boolean;

  /** `proxies`: IPs or CIDRs (`10.0.0.0/8`, `::1`); an invalid entry throws. */
  constructor(proxies: readonly string[]) {
    this.any = proxies.length > 0;
    for (const entry of proxies) {
      const [net = "", bits] = entry.split("/");
      const family = isIP(net);
      if (family === 0) throw new Error(`gateway.trustedProxies: not an IP or CIDR: ${entry}`);
      const type = family === 4 ? "ipv4" : "ipv6";
      if (bits === undefined) this.trusted.addAddress(net, type);
      else this.trusted.addSubnet(net, Number(bits), type);
    }
  }

  /** Whether `ip` is a configured proxy. */
  isTrusted(ip: string): boolean {
    if (!this.any) return false;
    const c = canonicalIp(ip);
    const family = isIP(c);
    return family !== 0 && this.trusted.check(c, family === 4 ? "ipv4" : "ipv6");
  }

  /**
   * The peer's address, or — when the peer is trusted — the right-most X-Forwarded-For entry
   * that is not itself a trusted proxy (entries to its left were written by the client and
   * prove nothing).
   */
  of(req: { headers: IncomingHttpHeaders; socket: { remoteAddress?: string | undefined } }): string {
    const peer = canonicalIp(req.socket.remoteAddress ?? "unknown");
    if (!this.isTrusted(peer)) return peer;
    const header = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(header) ? header.join(",") : (header ?? ""))
      .split(",")
      .map((h) => canonicalIp(h.trim()))
      .filter((h) => isIP(h) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!this.isTrusted(hops[i]!)) return hops[i]!;
    }
    return hops[0] ?? peer;
  }
}
