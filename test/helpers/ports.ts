// A loopback port nothing listens on, that no test server can take meanwhile.
import { readFileSync } from "node:fs";
import { connect } from "node:net";

/** The lowest port the kernel hands out for port 0 (Linux's default when unreadable). */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    return Number(low) || 32_768;
  } catch {
    return 32_768;
  }
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

/**
 * A loopback port that refuses connections, taken below the ephemeral range. A port bound to 0
 * and released again is back in the pool the kernel hands to the next listen(0), so another
 * test's server could answer on it; every test server here listens on port 0, so none can take
 * one outside that range.
 */
export async function refusedPort(): Promise<number> {
  const low = Math.max(2_000, ephemeralLow() - 20_000);
  for (let tries = 0; tries < 50; tries++) {
    const port = low + Math.floor(Math.random() * 18_000);
    if (await refuses(port)) return port;
  }
  throw new Error("no refused loopback port found below the ephemeral range");
}
