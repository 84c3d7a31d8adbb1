// Telling "no gateway listens there" apart from every other failure, for commands that can work without one.
import { ClientError } from "../client/errors.js";
import { CliError } from "./errors.js";

/**
 * Whether `err` (from withGateway/connectTarget) means nothing answered at the gateway's address:
 * connection refused or unreachable, not a refusal, a timeout or an HTTP answer from something else.
 */
export function gatewayDown(err: unknown): boolean {
  const cause = err instanceof CliError ? err.cause : undefined;
  return cause instanceof ClientError && cause.kind === "unreachable" && cause.httpStatus === undefined;
}
