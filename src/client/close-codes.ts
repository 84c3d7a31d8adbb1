// WebSocket close codes of the gateway protocol, explained in words a user can act on.

/** Close codes a client sees (spec §1.6), plus 4000, which the client's own tick watchdog uses. */
export const CLIENT_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  noStatus: 1005,
  abnormal: 1006,
  policy: 1008,
  tooBig: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  tickTimeout: 4000,
} as const;

const MEANING: Readonly<Record<number, string>> = {
  1000: "closed normally",
  1001: "the gateway went away (keepalive ping timeout or shutdown)",
  1002: "protocol error (the gateway and this client do not speak the same protocol version)",
  1005: "closed without a status",
  1006: "the connection dropped without a close frame (network failure or the gateway died)",
  1008: "refused by policy (bad handshake, wrong or missing credentials, or a slow consumer)",
  1009: "a frame was too large",
  1011: "the gateway hit an internal error",
  1012: "the gateway is restarting or shutting down",
  1013: "the gateway is still starting; try again shortly",
  4000: "no tick from the gateway for two tick intervals (connection stalled)",
};

/** `1012 "service restart"` → `1012 service restart: the gateway is restarting or shutting down`. */
export function describeClose(code: number, reason = ""): string {
  const meaning = MEANING[code] ?? (code >= 4000 ? "application-defined close" : "unexpected close");
  const why = reason.trim();
  return why ? `${code} ${why}: ${meaning}` : `${code}: ${meaning}`;
}
