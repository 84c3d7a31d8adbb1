import { describe, expect, it } from "vitest";
import { errorReply } from "../../src/http/errors.js";
import { AuthRateLimiter, authenticate } from "../../src/server/auth.js";
import {
  ERROR_CODES,
  ERROR_TABLE,
  GatewayError,
  httpStatusOf,
  invalidRequest,
  toGatewayError,
  unavailable,
} from "../../src/protocol/errors.js";

const limiterConfig = {
  maxAttempts: 1,
  windowMs: 60_000,
  lockoutMs: 60_000,
  exemptLoopback: false,
  maxTrackedClients: 100,
};

/** The lockout error the real auth path throws (one failure with maxAttempts 1 locks the IP). */
function lockoutError(): GatewayError {
  const limiter = new AuthRateLimiter(limiterConfig);
  const secret = { mode: "token" as const, token: "right-token" };
  const attempt = (token: string) =>
    authenticate(secret, limiter, { ip: "10.0.0.9", browserOrigin: false, credentials: { token } });
  expect(() => attempt("wrong")).toThrow(GatewayError);
  try {
    attempt("right-token");
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error("expected a lockout");
}

describe("the error table", () => {
  it("has one row per code, and an error without an explicit retryable takes its code's default", () => {
    expect(Object.keys(ERROR_TABLE).sort()).toEqual([...ERROR_CODES].sort());
    expect(new GatewayError("UNAVAILABLE", "x").retryable).toBe(true);
    expect(new GatewayError("AGENT_TIMEOUT", "x").retryable).toBe(true);
    expect(new GatewayError("FORBIDDEN", "x").retryable).toBe(false);
    expect(invalidRequest("bad").retryable).toBe(false);
    expect(new GatewayError("UNAVAILABLE", "x", { retryable: false }).retryable).toBe(false);
  });

  it("the auth lockout stays a retryable INVALID_REQUEST: the explicit value wins, and it is a 429", () => {
    const err = lockoutError();
    expect(err.code).toBe("INVALID_REQUEST");
    expect(err.details?.["code"]).toBe("AUTH_RATE_LIMITED");
    expect(err.retryable).toBe(true);
    expect(err.toShape().retryable).toBe(true);
    expect(httpStatusOf(err)).toBe(429);
    expect(errorReply(err).headers?.["retry-after"]).toBe(60);
  });

  it("the wire shape carries retryable only when the thrower set it, as the reference's frames do", () => {
    // spec/wire: `unknown method` and MISSING_SCOPE frames have no retryable field.
    expect(invalidRequest("unknown method: x").toShape()).toEqual({
      code: "INVALID_REQUEST",
      message: "unknown method: x",
    });
    expect(new GatewayError("FORBIDDEN", "missing scope: operator.read").toShape()).not.toHaveProperty(
      "retryable",
    );
    expect(new GatewayError("UNAVAILABLE", "x").toShape()).not.toHaveProperty("retryable");
    expect(unavailable("starting", "startup-sidecars", 500).toShape()).toEqual({
      code: "UNAVAILABLE",
      message: "starting",
      retryable: true,
      retryAfterMs: 500,
      details: { reason: "startup-sidecars" },
    });
    expect(toGatewayError(new Error("boom")).toShape()).toEqual({
      code: "UNAVAILABLE",
      message: "internal error: boom",
      retryable: true,
    });
  });

  it("maps each code to its HTTP status, refined by details.code", () => {
    const status = (code: (typeof ERROR_CODES)[number], detail?: string) =>
      httpStatusOf(new GatewayError(code, "x", detail ? { details: { code: detail } } : {}));
    expect(ERROR_CODES.map((c) => [c, status(c)])).toEqual([
      ["INVALID_REQUEST", 400],
      ["UNAVAILABLE", 503],
      ["FORBIDDEN", 403],
      ["NOT_FOUND", 404],
      ["NOT_PAIRED", 403],
      ["NOT_LINKED", 409],
      ["AGENT_TIMEOUT", 504],
      ["APPROVAL_NOT_FOUND", 404],
    ]);
    expect(status("INVALID_REQUEST", "AUTH_TOKEN_MISSING")).toBe(401);
    expect(status("INVALID_REQUEST", "AUTH_PASSWORD_MISMATCH")).toBe(401);
    expect(status("INVALID_REQUEST", "AUTH_RATE_LIMITED")).toBe(429);
    expect(status("UNAVAILABLE", "RATE_LIMITED")).toBe(429);
    expect(status("INVALID_REQUEST", "BODY_TOO_LARGE")).toBe(413);
    expect(status("UNAVAILABLE", "PROVIDER_ERROR")).toBe(502);
    expect(status("INVALID_REQUEST", "ORIGIN_NOT_ALLOWED")).toBe(403);
    expect(status("FORBIDDEN", "MISSING_SCOPE")).toBe(403);
    // A details.code the table does not know leaves the code's own status.
    expect(status("INVALID_REQUEST", "IDEMPOTENCY_CONFLICT")).toBe(400);
  });

  it("a non-GatewayError is a bare 500 on HTTP", () => {
    const reply = errorReply(new TypeError("secret detail"));
    expect(reply.status).toBe(500);
    expect(String(reply.body)).not.toContain("secret detail");
  });
});
