// `keel gateway call <method>`: one raw RPC, the payload printed as JSON.
import { randomUUID } from "node:crypto";
import type { Scope } from "../protocol/scopes.js";
import { CliError, EXIT } from "./errors.js";
import { methodsRequiringIdempotencyKey } from "./idempotency.js";
import { Out } from "./output.js";
import { withGateway } from "./session.js";
import type { ClientFlags } from "./target.js";

export interface CallFlags extends ClientFlags {
  params?: string;
  expectFinal?: boolean;
  /** Says on stderr what the CLI added to the params. */
  verbose?: boolean;
}

/** Request timeout of `--expect-final` calls without --timeout: an agent run may take minutes. */
const EXPECT_FINAL_TIMEOUT_MS = 600_000;

/** Calls `method` with `--params` (a JSON object) and prints the result. */
export async function gatewayCall(method: string, flags: CallFlags): Promise<number> {
  const params = withIdempotencyKey(method, parseParams(flags.params), flags.verbose === true);
  const out = new Out();
  const payload = await withGateway(flags, { scopes: scopesFor(method) }, (client) =>
    client.request(method, params, {
      expectFinal: flags.expectFinal === true,
      ...(flags.timeout === undefined && flags.expectFinal ? { timeoutMs: EXPECT_FINAL_TIMEOUT_MS } : {}),
    }),
  );
  // Human and --json output are the same here: the payload is the answer, and it is JSON.
  out.json(payload ?? null);
  return EXIT.ok;
}

/**
 * Asks for what the method needs and no more: read for the known read methods, write for the
 * known write methods, admin for the rest (the admin methods, and anything unknown to us, which
 * may need it).
 */
export function scopesFor(method: string): Scope[] {
  const READ = new Set([
    "health",
    "status",
    "system-presence",
    "models.list",
    "agents.list",
    "chat.history",
    "sessions.list",
    "agent.wait",
    "logs.tail",
    "usage.cost",
    "config.get",
    "sessions.subscribe",
    "sessions.unsubscribe",
    "sessions.messages.subscribe",
    "sessions.messages.unsubscribe",
    "sessions.describe",
    "commands.list",
    "question.list",
    "taskSuggestions.list",
    "channels.status",
    "cron.status",
    "cron.list",
    "node.list",
    "last-heartbeat",
    "diagnostics.stability",
  ]);
  const WRITE = new Set(["chat.send", "chat.abort", "sessions.patch", "agent", "wake"]);
  if (READ.has(method)) return ["operator.read"];
  if (WRITE.has(method)) return ["operator.read", "operator.write"];
  return ["operator.read", "operator.write", "operator.admin"];
}

/**
 * Adds a fresh idempotencyKey when the method's schema requires one and the params lack it, as
 * `keel agent` and `keel chat` do: the key is what makes a retried call not start a second run.
 */
export function withIdempotencyKey(
  method: string,
  params: Record<string, unknown>,
  verbose: boolean,
): Record<string, unknown> {
  if (params["idempotencyKey"] !== undefined || !methodsRequiringIdempotencyKey().has(method)) return params;
  const idempotencyKey = randomUUID();
  if (verbose) process.stderr.write(`keel: ${method} requires an idempotencyKey; using ${idempotencyKey}\n`);
  return { ...params, idempotencyKey };
}

function parseParams(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(
      `--params is not valid JSON: ${(err as Error).message}`,
      EXIT.usage,
      `example: --params '{"probe":true}'`,
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CliError("--params must be a JSON object", EXIT.usage, `example: --params '{"probe":true}'`);
  }
  return value as Record<string, unknown>;
}
