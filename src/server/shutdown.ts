// Shutdown steps of the gateway: run in order under one deadline, and the listener's close.
import type { Server } from "node:http";
import type { Logger } from "../lifecycle/logger.js";

/** One step of closing the gateway. */
export type ShutdownHook = { name: string; run: (reason: string) => unknown | Promise<unknown> };

/**
 * Runs every hook in order, all under one `deadline`: a hook that hangs is logged and left
 * behind, and the hooks after it still run — without this, one stuck step would hold the whole
 * process past `gateway.shutdownTimeoutMs`.
 */
export async function runHooks(
  hooks: readonly ShutdownHook[],
  reason: string,
  deadline: number,
  logger: Logger,
): Promise<void> {
  for (const hook of hooks) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(() => hook.run(reason)), timedOut]);
      if (outcome === "timeout")
        logger.warn({ hook: hook.name }, "shutdown hook timed out; going on without it");
    } catch (err) {
      logger.warn({ err, hook: hook.name }, "shutdown hook failed");
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Stops the listener; keep-alive sockets with a request in flight get a moment, then go. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1_000).unref();
  });
}
