// Who may call a webhook: the hook token in a header (never the query string), or a mapping's
// signature, behind a failed-auth rate limit per client address that spares no one (loopback too).
import type { IncomingHttpHeaders } from "node:http";
import type { HooksConfig } from "../config/schema.js";
import { bearerToken, safeEqual } from "../http/auth.js";
import type { AuthRateLimiter } from "../http/rate-limit.js";
import type { RequestContext } from "../http/types.js";
import { GatewayError, invalidRequest } from "../protocol/errors.js";
import { type SignatureConfig, signatureProblem } from "./signature.js";

/** Query parameters that would carry a credential: refused, since URLs end up in logs and histories. */
const QUERY_CREDENTIALS = ["token", "access_token", "hook_token", "x-keel-token", "x-openclaw-token"];

/** The token a caller presented: `Authorization: Bearer`, `x-keel-token` or `x-openclaw-token`. */
export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  for (const value of [bearerToken(headers), headers["x-keel-token"], headers["x-openclaw-token"]]) {
    if (typeof value === "string" && value.length > 0) return value;
  }
  return undefined;
}

/** How a request proves itself: the hook token, or (for a signed mapping) the signature over `raw`. */
export type Credential = { kind: "token" } | { kind: "signature"; signature: SignatureConfig; raw: Buffer };

/**
 * Checks one request. A query-string credential is a 400 whatever the headers say. A locked-out
 * address gets 429 with Retry-After before anything is compared. A missing or wrong credential
 * is a 401 and counts toward the lockout; a good one clears the address's count.
 */
export function authorize(
  ctx: Pick<RequestContext, "url" | "headers" | "ip">,
  hooks: HooksConfig,
  limiter: AuthRateLimiter,
  credential: Credential,
  now: number = Date.now(),
): void {
  const inQuery = QUERY_CREDENTIALS.find((k) => ctx.url.searchParams.has(k));
  if (inQuery !== undefined) {
    throw invalidRequest(`a credential in the query string (${inQuery}) is refused; send it in a header`, {
      code: "QUERY_TOKEN_REJECTED",
      field: inQuery,
    });
  }
  const key = ctx.ip;
  const waitMs = limiter.lockedFor(key);
  if (waitMs > 0) {
    throw new GatewayError("INVALID_REQUEST", "too many failed webhook authentication attempts", {
      retryable: true,
      retryAfterMs: waitMs,
      details: { code: "AUTH_RATE_LIMITED" },
    });
  }
  const problem = credentialProblem(ctx.headers, hooks, credential, now);
  if (problem) {
    limiter.recordFailure(key);
    throw new GatewayError("INVALID_REQUEST", `unauthorized: ${problem.message}`, {
      details: { code: problem.code },
    });
  }
  limiter.recordSuccess(key);
}

function credentialProblem(
  headers: IncomingHttpHeaders,
  hooks: HooksConfig,
  credential: Credential,
  now: number,
): { code: string; message: string } | undefined {
  if (credential.kind === "signature") {
    const bad = signatureProblem(credential.signature, headers, credential.raw, now);
    return bad ? { code: "AUTH_SIGNATURE_INVALID", message: bad } : undefined;
  }
  const given = presentedToken(headers);
  if (!given) {
    return {
      code: "AUTH_TOKEN_MISSING",
      message: "hook token missing (Authorization: Bearer, x-keel-token or x-openclaw-token)",
    };
  }
  // The config guarantees a token when hooks are enabled; an empty one still refuses everyone.
  if (!hooks.token || !safeEqual(given, hooks.token)) {
    return { code: "AUTH_TOKEN_MISMATCH", message: "hook token mismatch" };
  }
  return undefined;
}
