// The `connect` handshake: frame and params checks, protocol, role, startup gate, auth, scopes.

import { clip, type GatewayError, invalidRequest, unavailable } from "../protocol/errors.js";
import {
  CLOSE,
  ConnectParamsSchema,
  MIN_PROBE_PROTOCOL,
  PROTOCOL_VERSION,
  RequestFrameSchema,
  ROLES,
} from "../protocol/frames.js";
import { DEFAULT_SCOPES, SCOPES } from "../protocol/scopes.js";
import { compileValidator } from "../protocol/validate.js";
import { type AuthRateLimiter, authenticate } from "./auth.js";
import type { Connection, Identity } from "./connection.js";
import { normalizeOrigin } from "./origin.js";
import type { GatewaySecret } from "./secret.js";

/** A refused handshake: the error `res` to send (when an id was readable) and how to close. */
export class HandshakeFailure extends Error {
  constructor(
    readonly error: GatewayError,
    readonly id: string | undefined,
    readonly closeCode: number,
    readonly closeReason: string = error.message,
  ) {
    super(error.message);
    this.name = "HandshakeFailure";
  }
}

export interface HandshakeDeps {
  secret: GatewaySecret;
  limiter: AuthRateLimiter;
  /** Startup steps are done (until then `connect` gets a retryable startup-sidecars). */
  ready: () => boolean;
  draining: () => boolean;
}

/** How long a client told "starting" should wait (the client clamps it to [100, 2000]). */
const STARTUP_RETRY_MS = 500;

const requestFrame = compileValidator(RequestFrameSchema);
const connectParams = compileValidator(ConnectParamsSchema);
const KNOWN_SCOPES: ReadonlySet<string> = new Set(SCOPES);

/**
 * Checks the first frame of a socket. Returns the identity to grant, or throws a
 * HandshakeFailure carrying the reference's error code, details code and close code.
 */
export function checkConnect(frame: unknown, conn: Connection, deps: HandshakeDeps): Identity {
  const id = readableId(frame);
  const fail = (err: GatewayError, closeCode: number = CLOSE.policy, reason?: string) =>
    new HandshakeFailure(err, id, closeCode, reason);
  const f = frame as Record<string, unknown> | null;
  if (f === null || typeof f !== "object" || f["type"] !== "req" || f["method"] !== "connect") {
    throw fail(invalidRequest("invalid handshake: first request must be connect"));
  }
  const frameProblem = requestFrame.explain(frame);
  if (frameProblem) throw fail(invalidRequest(`invalid request frame: ${frameProblem}`));
  const paramsProblem = connectParams.explain(f["params"]);
  if (paramsProblem) throw fail(invalidRequest(`invalid connect params: ${paramsProblem}`));
  const params = f["params"];
  if (!connectParams.check(params)) throw fail(invalidRequest("invalid connect params"));

  const { minProtocol, maxProtocol, client } = params;
  const lowest = client.mode === "probe" ? MIN_PROBE_PROTOCOL : PROTOCOL_VERSION;
  if (minProtocol > PROTOCOL_VERSION || maxProtocol < lowest || minProtocol > maxProtocol) {
    const details = {
      code: "PROTOCOL_MISMATCH",
      clientMinProtocol: minProtocol,
      clientMaxProtocol: maxProtocol,
      expectedProtocol: PROTOCOL_VERSION,
      minimumProbeProtocol: MIN_PROBE_PROTOCOL,
    };
    throw fail(invalidRequest("protocol mismatch", details), CLOSE.protocolError);
  }
  const role = params.role ?? "operator";
  if (!(ROLES as readonly string[]).includes(role)) throw fail(invalidRequest("invalid role"));
  // Before auth and before the startup gate: a page from a foreign origin learns nothing about
  // the secret or the gateway's state, and its attempts never reach the auth rate limiter.
  if (!conn.originAllowed) {
    const details = { code: "ORIGIN_NOT_ALLOWED", origin: conn.origin };
    const message = `origin not allowed: ${clip(conn.origin ?? "")} (add it to gateway.controlUi.allowedOrigins)`;
    throw fail(invalidRequest(message, details), CLOSE.policy, "origin not allowed");
  }

  if (deps.draining()) {
    const err = unavailable("gateway is shutting down", "gateway-closing", STARTUP_RETRY_MS);
    throw fail(err, CLOSE.serviceRestart, "service restart");
  }
  if (!deps.ready()) {
    const err = unavailable("gateway is starting", "startup-sidecars", STARTUP_RETRY_MS);
    throw fail(err, CLOSE.tryAgainLater, "gateway starting");
  }
  try {
    authenticate(deps.secret, deps.limiter, {
      ip: conn.ip,
      browserOrigin: conn.browserOrigin,
      // Normalized: spelling variants of one allowed origin must share one lockout key.
      origin: conn.origin === undefined ? undefined : (normalizeOrigin(conn.origin) ?? "invalid"),
      credentials: params.auth,
    });
  } catch (err) {
    throw fail(err as GatewayError);
  }
  return {
    role,
    scopes: grantScopes(role, params.scopes, client.mode, params.device !== undefined),
    client,
    caps: params.caps ?? [],
    ...(params.device ? { deviceId: params.device.id } : {}),
    connectedAt: Date.now(),
  };
}

/**
 * Keel's choice: a shared-secret operator gets exactly the (known) scopes it asked for, or
 * read + write when it asked for none. Node and worker roles get no operator scopes, and neither
 * does a device-less `probe` connect (it may call `health` only, as the reference answers it).
 */
export function grantScopes(
  role: string,
  requested: readonly string[] | undefined,
  mode?: string,
  hasDevice = false,
): string[] {
  if (role !== "operator") return [];
  if (mode === "probe" && !hasDevice) return [];
  const known = [...new Set((requested ?? []).filter((s) => KNOWN_SCOPES.has(s)))];
  return known.length > 0 ? known : [...DEFAULT_SCOPES];
}

/** The request id, when the frame has one we can answer to. */
export function readableId(frame: unknown): string | undefined {
  if (frame === null || typeof frame !== "object") return undefined;
  const id = (frame as Record<string, unknown>)["id"];
  return typeof id === "string" && id.length > 0 ? id : undefined;
}
