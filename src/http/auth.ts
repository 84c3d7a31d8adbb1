// Bearer-token auth for HTTP callers, with a constant-time comparison shared with the WebSocket side.
import { hash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "../protocol/errors.js";

/** The digest of the last `expected` secret compared: it is the same secret on every request. */
let expectedDigest = { text: "", digest: hash("sha256", "", "buffer") };

/**
 * Constant-time comparison of a caller's secret `given` with the `expected` one (hashing first
 * so lengths do not leak; the expected digest is kept between calls).
 */
export function safeEqual(given: string, expected: string): boolean {
  if (expectedDigest.text !== expected)
    expectedDigest = { text: expected, digest: hash("sha256", expected, "buffer") };
  return timingSafeEqual(hash("sha256", given, "buffer"), expectedDigest.digest);
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (typeof value !== "string") return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  return match?.[1];
}

/**
 * Checks `Authorization: Bearer` against `expected`. Throws `INVALID_REQUEST` with
 * `details.code` `AUTH_TOKEN_MISSING` or `AUTH_TOKEN_MISMATCH` (HTTP 401 through the error
 * table), the same codes the WebSocket handshake uses. An unset `expected` refuses everyone:
 * a surface without a configured token fails closed.
 */
export function requireBearer(headers: IncomingHttpHeaders, expected: string | undefined): void {
  const given = bearerToken(headers);
  if (!given) {
    throw new GatewayError("INVALID_REQUEST", "unauthorized: bearer token missing", {
      details: { code: "AUTH_TOKEN_MISSING" },
    });
  }
  if (expected === undefined || expected.length === 0 || !safeEqual(given, expected)) {
    throw new GatewayError("INVALID_REQUEST", "unauthorized: bearer token mismatch", {
      details: { code: "AUTH_TOKEN_MISMATCH" },
    });
  }
}
