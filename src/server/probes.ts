// The HTTP probes: /healthz (live at once), /startupz (startup steps), /readyz (subsystems).
import { jsonReply } from "../http/errors.js";
import type { Route } from "../http/types.js";

export interface ProbeState {
  /** Startup steps done and not draining. */
  phase(): "starting" | "started" | "draining" | "failed";
  /** Subsystems settled (off/disabled count as settled). */
  ready(): boolean;
}

/** `/healthz` + `/health`, `/startupz` + `/startup`, `/readyz` + `/ready`; GET and HEAD. */
export function probeRoutes(state: ProbeState): Route[] {
  const live = () => jsonReply(200, { ok: true, status: "live" });
  const startup = () => {
    const phase = state.phase();
    return jsonReply(phase === "started" ? 200 : 503, { ok: phase === "started", status: phase });
  };
  const ready = () => {
    const phase = state.phase();
    const ok = phase === "started" && state.ready();
    return jsonReply(ok ? 200 : 503, {
      ok,
      status: phase === "started" ? (ok ? "ready" : "not-ready") : phase,
    });
  };
  return [
    ...["/healthz", "/health"].map((path) => ({ method: "GET" as const, path, handler: live })),
    ...["/startupz", "/startup"].map((path) => ({ method: "GET" as const, path, handler: startup })),
    ...["/readyz", "/ready"].map((path) => ({ method: "GET" as const, path, handler: ready })),
  ];
}
