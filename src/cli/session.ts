// Connects a command to its gateway and turns every client failure into one line plus a hint.

import type { GatewayClient } from "../client/client.js";
import { ClientError, describeErrno, RequestError } from "../client/errors.js";
import type { Scope } from "../protocol/scopes.js";
import { CliError, EXIT } from "./errors.js";
import { type ClientFlags, resolveTarget, type Target } from "./target.js";
import { VERSION } from "./version.js";

export interface SessionOptions {
  /** Scopes the command needs; asked for explicitly. */
  scopes: readonly Scope[];
  /** Reconnect after a lost connection (`logs --follow`). */
  reconnect?: boolean;
  /** Client capabilities for `connect` (`session-scoped-events` for the session commands). */
  caps?: readonly string[];
}

/** Resolves the target, connects, runs `fn`, and always closes the client. */
export async function withGateway<T>(
  flags: ClientFlags,
  options: SessionOptions,
  fn: (client: GatewayClient, target: Target) => Promise<T>,
): Promise<T> {
  const target = await resolveTarget(flags);
  const client = await connectTarget(target, options);
  try {
    return await fn(client, target);
  } catch (err) {
    throw explain(err, target);
  } finally {
    await client.close();
  }
}

/** Connects to a resolved target; failures become a CliError that says what to try. */
export async function connectTarget(target: Target, options: SessionOptions): Promise<GatewayClient> {
  const { GatewayClient } = await import("../client/client.js");
  try {
    return await GatewayClient.connect({
      url: target.url,
      ...(target.token !== undefined ? { token: target.token } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      scopes: options.scopes,
      client: { id: "cli", mode: "cli", version: VERSION },
      connectTimeoutMs: target.budgetMs,
      requestTimeoutMs: target.budgetMs,
      ...(options.reconnect ? { reconnect: true } : {}),
      ...(options.caps ? { caps: options.caps } : {}),
    });
  } catch (err) {
    throw explain(err, target);
  }
}

/** One line for what happened, one for what to try. Unknown errors pass through unchanged. */
export function explain(err: unknown, target: Target): unknown {
  if (err instanceof CliError) return err;
  if (!(err instanceof RequestError) && !(err instanceof ClientError)) return err;
  const e = err instanceof RequestError ? explainRefusal(err, target) : explainTransport(err, target);
  // Kept for callers that decide on the original (probe: did we reach a gateway at all?).
  e.cause = err;
  return e;
}

function explainTransport(err: ClientError, target: Target): CliError {
  const at = `the gateway at ${target.url}`;
  const startIt = target.local
    ? "start it with `keel gateway run`"
    : "check the URL (--url or KEEL_GATEWAY_URL) and that the gateway is running";
  switch (err.kind) {
    case "unreachable": {
      const why = err.httpStatus ? `HTTP ${err.httpStatus}` : describeErrno(err.errno);
      // A live process holds the lock and named this port, yet nothing answers there.
      const hint =
        target.portSource === "lock"
          ? `the gateway of ${target.stateDir} recorded this port in its lock file but does not answer; \`keel logs\` shows what it did`
          : startIt;
      return new CliError(`cannot reach ${at} (${why})`, EXIT.error, hint);
    }
    case "timeout":
      if (err.stage === "open") {
        return new CliError(err.message, EXIT.error, "raise --timeout, or check `keel health`");
      }
      return new CliError(
        `no answer from ${at}: ${err.message}`,
        EXIT.error,
        "raise --timeout; `keel doctor` checks the local setup",
      );
    case "closed":
      return new CliError(`${at} closed the connection (${err.message.replace(/^connection closed: /, "")})`);
    case "protocol":
      return new CliError(`${at} sent something unexpected: ${err.message}`);
  }
}

function explainRefusal(err: RequestError, target: Target): CliError {
  const code = err.detailCode;
  const data = { ok: false, error: { method: err.method, ...err.toShape() } };
  if (code?.startsWith("AUTH_")) {
    return new CliError(
      `the gateway refused the credentials: ${err.message}`,
      EXIT.error,
      authHint(code, target),
      data,
    );
  }
  if (code === "PROTOCOL_MISMATCH") {
    const expected = err.details?.["expectedProtocol"];
    return new CliError(
      `the gateway speaks protocol ${String(expected ?? "?")}; this keel speaks 4`,
      EXIT.error,
      "use a keel CLI of the same version as the gateway",
      data,
    );
  }
  if (code === "MISSING_SCOPE") {
    return new CliError(
      `${err.method}: ${err.message}`,
      EXIT.error,
      "the credentials do not grant that scope; use the gateway's shared token or password",
      data,
    );
  }
  const reason = err.details?.["reason"];
  const hint =
    typeof reason === "string" && reason.startsWith("gateway-")
      ? "the gateway is restarting or shutting down; try again shortly"
      : undefined;
  return new CliError(`${err.method} failed: ${err.code}: ${err.message}`, EXIT.error, hint, data);
}

function authHint(code: string, target: Target): string {
  if (code === "AUTH_RATE_LIMITED") return "too many failed attempts; wait for the lockout to end";
  const file = target.tokenFile ? ` (the local gateway's token is in ${target.tokenFile})` : "";
  if (target.credentialSource === "none") {
    return `pass --token or --password, or set KEEL_GATEWAY_TOKEN${file}`;
  }
  const where: Record<string, string> = {
    flag: "the --token/--password you passed",
    env: "KEEL_GATEWAY_TOKEN / KEEL_GATEWAY_PASSWORD",
    config: "gateway.auth in the config",
    "token-file": target.tokenFile ?? "the token file",
  };
  return `check ${where[target.credentialSource] ?? "the credentials"}${target.credentialSource === "token-file" ? "" : file}`;
}
