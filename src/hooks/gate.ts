// The hooks family's gate and shapes: where it is mounted, the 503 while disabled, its error
// body, and how an admitted run is answered.
import { hooksStateOf } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { ConfigSource } from "../config/source.js";
import { type ErrorBody, jsonReply } from "../http/errors.js";
import type { AuthRateLimiter } from "../http/rate-limit.js";
import type { Reply } from "../http/types.js";
import { invalidRequest, unavailable } from "../protocol/errors.js";
import { finishedFailure, requestTimedOut } from "../http/run-failure.js";
import type { Admission } from "../runs/registry.js";
import type { SessionRunDeps } from "../runs/session-run.js";
import { admitted } from "./actions.js";

export interface HooksDeps {
  source: ConfigSource;
  /** The store, runs and current config (the gateway's services object; UNAVAILABLE until ready). */
  services: SessionRunDeps;
  limiter: AuthRateLimiter;
  now?: () => number;
}

/** The hooks error body: `{ok:false, error, code?, field?, runId?}`. */
export const hooksErrorBody: ErrorBody = (err) => {
  const d = err.details ?? {};
  return {
    ok: false,
    error: err.message,
    ...(typeof d["code"] === "string" ? { code: d["code"] } : {}),
    ...(typeof d["field"] === "string" ? { field: d["field"] } : {}),
    ...(typeof d["runId"] === "string" ? { runId: d["runId"] } : {}),
  };
};

/** Where the hooks family is mounted now: nowhere while off, else the live (or last usable) path. */
export function hooksPrefix(source: ConfigSource): string | undefined {
  const config = source.current();
  const state = hooksStateOf(config);
  if (state.state === "off") return undefined;
  return state.state === "disabled" ? state.path : config.hooks.path;
}

/**
 * The config a hook request runs under, read once per request; while the section is invalid a
 * 503 naming every problem, before anything else happens (no auth, no body, no run).
 */
export function liveHooks(source: ConfigSource): Config {
  const config = source.current();
  const state = hooksStateOf(config);
  if (state.state === "disabled") throw unavailable(`hooks are disabled: ${state.reason}`, "hooks-disabled");
  if (state.state === "off") throw unavailable("hooks are off (hooks.enabled is false)", "hooks-off");
  return config;
}

/**
 * 202 `{ok:true, runId}` once admitted; when the caller waits, 200 with the final text or the
 * run's typed error (http/run-failure.ts: the status every HTTP surface gives that failure), or 504
 * once the request outlived `wait.maxMs` (gateway.http.maxRequestMs; its run is aborted with it).
 */
export async function answerRun(
  admission: Admission,
  signal: AbortSignal,
  wait?: { expired: () => boolean; maxMs: number },
): Promise<Reply> {
  const { runId, end } = admitted(admission, signal);
  if (!wait) return jsonReply(202, { ok: true, runId });
  const finished = await end();
  if (wait.expired()) throw requestTimedOut(wait.maxMs, runId);
  // The caller went away: its run was aborted with it, and nobody reads this answer.
  if (!finished) throw invalidRequest("client closed the request", { code: "CLIENT_GONE", runId });
  if (finished.status !== "ok") throw finishedFailure(finished);
  return jsonReply(200, { ok: true, runId, text: finished.text });
}
