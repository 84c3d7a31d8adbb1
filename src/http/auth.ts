// Bearer-token auth for HTTP callers, with a constant-time comparison shared with the WebSocket side.
import { hash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "../protocol/errors.js";

/** Constant-time string comparison (hashing first so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(hash("sha256", a, "buffer"), hash("sha256", b, "buffer"));
}

/** The digest safeEqualDigest compares against. */
export function secretDigest(secret: string): Buffer {
  return hash("sha256", secret, "buffer");
}

/** safeEqual against a secret whose digest is already known. */
export function safeEqualDigest(given: string, digest: Buffer): boolean {
  return timingSafeEqual(hash("sha256", given, "buffer"), digest);
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
