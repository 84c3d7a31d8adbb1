// How a finished run that did not succeed reads as a typed error on an HTTP surface that waited.
import { type ErrorCode, GatewayError } from "../protocol/errors.js";
import type { FinishedRun } from "./run.js";

/**
 * Error kind → wire code and `details.code`, so the HTTP status comes from the one table
 * (protocol/errors.ts): a timeout 504, a vendor rate limit 429, a request the model refuses
 * (too long, bad, refused) 400, anything else the provider did 502.
 */
const KIND_ERROR: Readonly<Record<string, { code: ErrorCode; detail: string }>> = {
  timeout: { code: "AGENT_TIMEOUT", detail: "RUN_TIMEOUT" },
  rate_limit: { code: "UNAVAILABLE", detail: "RATE_LIMITED" },
  context_length: { code: "INVALID_REQUEST", detail: "RUN_REJECTED" },
  bad_request: { code: "INVALID_REQUEST", detail: "RUN_REJECTED" },
  content_policy: { code: "INVALID_REQUEST", detail: "RUN_REJECTED" },
};
const OTHER = { code: "UNAVAILABLE", detail: "PROVIDER_ERROR" } as const;

/** The error for a run that ended `error` or `aborted`; `details` carry the runId and the kind. */
export function runFailure(f: FinishedRun): GatewayError {
  if (f.status === "aborted") {
    return new GatewayError("UNAVAILABLE", f.error?.message ?? "run aborted", {
      details: { code: "RUN_ABORTED", runId: f.runId },
    });
  }
  const kind = f.error?.kind ?? "unknown";
  const row = KIND_ERROR[kind] ?? OTHER;
  return new GatewayError(row.code, f.error?.message ?? `run failed (${kind})`, {
    details: { code: row.detail, kind, runId: f.runId },
    // A rate limit or a chain that is all cooling says when to come back (Retry-After).
    ...(f.error?.retryAfterMs === undefined ? {} : { retryAfterMs: f.error.retryAfterMs }),
  });
}
