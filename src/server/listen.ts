// Binding the listener: one exclusive listen on the configured port, a busy port as one clear error.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { StateLock } from "../lifecycle/lock.js";
import type { Logger } from "../lifecycle/logger.js";

/** The bound port (0 until the server listens). */
export function boundPort(server: Server): number {
  return (server.address() as AddressInfo | null)?.port ?? 0;
}

/** Thrown when the port is taken: one line naming the port and what to do. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(
      `port ${port} is already in use (another keel gateway or program is listening); stop it, or pick another port with --port or KEEL_GATEWAY_PORT`,
    );
    this.name = "PortInUseError";
  }
}

/** Binds exclusively; a taken port rejects with PortInUseError (one line naming it), at once. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === "EADDRINUSE" ? new PortInUseError(port) : err);
    };
    server.once("error", onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/** Local CLI commands look in the lock first: `gateway run --port N` need not match the config. */
export function recordListener(lock: StateLock, port: number, host: string, logger: Logger): void {
  try {
    lock.recordListener({ port, host });
  } catch (err) {
    logger.warn({ err }, "could not record the port in the state lock; CLI commands use the configured port");
  }
}
