// The Origin allow-list for browser clients (gateway.controlUi.allowedOrigins, spec §1.4).
import { isLoopback } from "./auth.js";

/** Where a connection arrived: the gateway's own origin is derived from it. */
export interface LocalEndpoint {
  address: string | undefined;
  port: number | undefined;
}

/**
 * `scheme://host[:port]` in canonical form (lower case, default port dropped), or undefined
 * for anything that is not an http(s) origin — including the opaque `null` a sandboxed page
 * sends, which is never allowed.
 */
export function normalizeOrigin(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username || url.password || (url.pathname !== "/" && url.pathname !== "")) return undefined;
  return `${url.protocol}//${url.host}`;
}

/**
 * The origins a page served by this gateway would send: `http://<address>:<port>` of the
 * socket the client reached, and on loopback also `localhost`, `127.0.0.1` and `[::1]`. Taken
 * from the socket, not the Host header: a DNS-rebound page sends a Host header of its own
 * choosing, but its Origin still names its own domain, which no list here contains.
 */
export function ownOrigins(local: LocalEndpoint): string[] {
  if (local.address === undefined || local.port === undefined) return [];
  const address = local.address.startsWith("::ffff:") ? local.address.slice(7) : local.address;
  const hosts = isLoopback(address)
    ? ["127.0.0.1", "localhost", "[::1]"]
    : [address.includes(":") ? `[${address}]` : address];
  return hosts.map((h) => `http://${h}:${local.port}`);
}

/** Whether a browser's Origin may open a control connection. */
export function originAllowed(origin: string, allowed: readonly string[], local: LocalEndpoint): boolean {
  const given = normalizeOrigin(origin);
  if (given === undefined) return false;
  for (const candidate of [...ownOrigins(local), ...allowed]) {
    if (normalizeOrigin(candidate) === given) return true;
  }
  return false;
}
