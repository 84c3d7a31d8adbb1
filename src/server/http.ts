// HTTP on the gateway port: probes first, then the routes later subsystems register.
import type { IncomingMessage, ServerResponse } from "node:http";

/** A route handles a request (returns true) or passes it on (returns false). */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface ProbeState {
  /** Startup steps done and not draining. */
  phase(): "starting" | "started" | "draining" | "failed";
  /** Subsystems settled (off/disabled count as settled). */
  ready(): boolean;
}

/** Writes a small JSON answer; HEAD gets the headers only. */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(req.method === "HEAD" ? undefined : text);
}

/** `/healthz` (live at once), `/startupz` (503 starting|draining, 200 started), `/readyz`. */
export function probeRoute(state: ProbeState): HttpRoute {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    switch (path) {
      case "/health":
      case "/healthz":
        sendJson(req, res, 200, { ok: true, status: "live" });
        return true;
      case "/startup":
      case "/startupz": {
        const phase = state.phase();
        sendJson(req, res, phase === "started" ? 200 : 503, { ok: phase === "started", status: phase });
        return true;
      }
      case "/ready":
      case "/readyz": {
        const phase = state.phase();
        const ready = phase === "started" && state.ready();
        const status = phase === "started" ? (ready ? "ready" : "not-ready") : phase;
        sendJson(req, res, ready ? 200 : 503, { ok: ready, status });
        return true;
      }
      default:
        return false;
    }
  };
}

/** Runs routes in order; unmatched requests get a JSON 404; a throwing route gets a 500, never a crash. */
export function httpHandler(routes: readonly HttpRoute[], onError: (err: unknown) => void) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      for (const route of routes) if (await route(req, res)) return;
      sendJson(req, res, 404, {
        error: { message: `not found: ${req.method} ${req.url}`, type: "not_found" },
      });
    } catch (err) {
      onError(err);
      if (!res.headersSent)
        sendJson(req, res, 500, { error: { message: "internal error", type: "server_error" } });
      else res.destroy();
    }
  };
}
