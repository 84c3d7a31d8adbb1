// How a run that did not succeed reads as a typed error on an HTTP surface that waited for it
// (`/hooks/agent` with `wait`, the /v1 endpoints): one mapping, so the same failure gets the same
// status everywhere; each surface shapes the body its clients read.
import { ALL_COOLING } from "../models/types.js";
import { GatewayError, invalidRequest } from "../protocol/errors.js";

/** A failed run as a surface sees it: from its `error` event or its finished record. */
export interface RunFailure {
  kind: string;
  message: string;
  /** When to come back: the vendor's Retry-After, or when the first cooling candidate is free. */
  retryAfterMs?: number | undefined;
  /** Every candidate was cooling down, so none was asked. */
  cooling?: boolean | undefined;
}

/** What a run's `error` event (or a ModelError's details) says about its failure. */
export function failureOfEvent(ev: {
  kind: string;
  message: string;
  details: Record<string, unknown>;
}): RunFailure {
  const retry = ev.details["retryAfterMs"];
  return {
    kind: ev.kind,
    message: ev.message,
    retryAfterMs: typeof retry === "number" && retry > 0 ? retry : undefined,
    cooling: ev.details["reason"] === ALL_COOLING,
  };
}

/**
 * The error for a failed run. A rate limit, or every candidate cooling, is a 429 (an overloaded
 * vendor a 503), with Retry-After when known; a timeout is a 504; a request the model refused as
 * shaped (context length, policy, bad request) a 400; a fault in Keel's own config a 503; any
 * other provider failure a 502 (with the vendor's Retry-After, if it sent one). `details`:
 * `{code, kind, reason?, runId?}`.
 */
export function runFailure(f: RunFailure, runId?: string): GatewayError {
  const base = {
    kind: f.kind,
    ...(f.cooling ? { reason: ALL_COOLING } : {}),
    ...(runId === undefined ? {} : { runId }),
  };
  const after = f.retryAfterMs === undefined ? {} : { retryAfterMs: f.retryAfterMs };
  if (f.kind === "rate_limit" || (f.cooling && f.kind !== "overloaded")) {
    return new GatewayError("UNAVAILABLE", f.message, {
      ...after,
      details: { code: "RATE_LIMITED", ...base },
    });
  }
  if (f.kind === "overloaded") {
    return new GatewayError("UNAVAILABLE", f.message, { ...after, details: { code: "OVERLOADED", ...base } });
  }
  if (f.kind === "timeout") {
    return new GatewayError("AGENT_TIMEOUT", f.message, { details: { code: "RUN_TIMEOUT", ...base } });
  }
  if (f.kind === "context_length" || f.kind === "content_policy" || f.kind === "bad_request") {
    return invalidRequest(f.message, { code: "RUN_REJECTED", ...base });
  }
  if (f.kind === "config" || f.kind === "internal") {
    return new GatewayError("UNAVAILABLE", f.message, {
      retryable: false,
      details: { code: "GATEWAY_ERROR", ...base },
    });
  }
  return new GatewayError("UNAVAILABLE", f.message, {
    ...after,
    details: { code: "PROVIDER_ERROR", ...base },
  });
}

/** The request outlived `gateway.http.maxRequestMs` (its run, if it has one, is aborted with it): a 504. */
export function requestTimedOut(maxRequestMs: number, runId?: string): GatewayError {
  return new GatewayError(
    "AGENT_TIMEOUT",
    `the request took longer than gateway.http.maxRequestMs (${maxRequestMs} ms)`,
    { details: { code: "REQUEST_TIMEOUT", kind: "timeout", ...(runId === undefined ? {} : { runId }) } },
  );
}

/** A run that ended aborted while its caller still waited (an operator's abort, shutdown). */
export function runAborted(message: string, details: { reason?: string; runId?: string } = {}): GatewayError {
  return new GatewayError("UNAVAILABLE", message, { details: { code: "RUN_ABORTED", ...details } });
}

/** What a finished run's record says of how it ended (runs' FinishedRun has these fields). */
export interface EndedRun {
  runId: string;
  status: "ok" | "error" | "aborted";
  error?: RunFailure;
}

/** The error for a finished run that ended `error` or `aborted`. */
export function finishedFailure(f: EndedRun): GatewayError {
  if (f.status === "aborted") return runAborted(f.error?.message ?? "run aborted", { runId: f.runId });
  return runFailure(f.error ?? { kind: "unknown", message: "run failed" }, f.runId);
}
