// Puts the webhook family on the gateway's router, at the live hooks.path.
import type { ConfigSource } from "../config/source.js";
import { AuthRateLimiter } from "../http/rate-limit.js";
import type { Router } from "../http/router.js";
import type { SessionRunDeps } from "../runs/session-run.js";
import { hooksErrorBody, hooksPrefix } from "./gate.js";
import { hookRoutes } from "./routes.js";

/**
 * Mounts the hooks routes with their own failed-auth limiter, swept once per live
 * `hooks.rateLimit.windowMs` so its map follows recent failures rather than history. Returns
 * the stop (at shutdown, or when the listener could not bind).
 */
export function mountHooks(router: Router, source: ConfigSource, services: SessionRunDeps): () => void {
  const limiter = new AuthRateLimiter(() => source.current().hooks.rateLimit);
  router.mount(() => hooksPrefix(source), hookRoutes({ source, services, limiter }), hooksErrorBody);
  let sweeper: NodeJS.Timeout;
  const schedule = () => {
    sweeper = setTimeout(() => {
      limiter.sweep();
      schedule();
    }, source.current().hooks.rateLimit.windowMs);
    sweeper.unref();
  };
  schedule();
  return () => clearTimeout(sweeper);
}
