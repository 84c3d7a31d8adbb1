// `keel agent -m <text>`: one agent turn through the `agent` method, waiting for its final answer.
import { randomUUID } from "node:crypto";
import type { GatewayClient } from "../client/client.js";
import { runAgentTurn } from "./agent-turn.js";
import { CliError, EXIT } from "./errors.js";
import { Out } from "./output.js";
import { SESSION_SCOPED_EVENTS } from "../protocol/caps.js";
import { withGateway } from "./session.js";
import type { ClientFlags } from "./target.js";
import { StreamPrinter } from "./transcript.js";

export interface AgentFlags extends ClientFlags {
  message: string;
  agent?: string;
  sessionKey?: string;
  model?: string;
}

/** The final `agent` answer (src/methods/agent.ts `agentFinal`), the fields read here. */
export interface AgentFinal {
  runId: string;
  status: "ok" | "error";
  summary?: string;
  result?: { payloads?: { text?: string }[]; meta?: Record<string, unknown> };
  error?: { kind?: string; message?: string };
}

/** Request timeout without --timeout: a turn may take minutes (the gateway's run timeout still applies). */
const DEFAULT_WAIT_MS = 600_000;
/** With --timeout, the run gets that long and the CLI a little more, so the gateway's answer wins the race. */
const ANSWER_GRACE_MS = 5_000;

/** Runs one turn and prints the reply (or, with --json, the final payload). Exit 0 only on status ok. */
export async function agent(flags: AgentFlags): Promise<number> {
  const params = agentParams(flags);
  const out = new Out();
  // Streaming is for a person watching; a pipe or a file gets the final text once, whole.
  const stream = flags.json !== true && process.stdout.isTTY === true;
  const printer = new StreamPrinter((t) => process.stdout.write(t));
  const timeoutMs = flags.timeout === undefined ? DEFAULT_WAIT_MS : flags.timeout + ANSWER_GRACE_MS;
  const options = { scopes: ["operator.read", "operator.write"] as const, caps: [SESSION_SCOPED_EVENTS] };
  const final = await withGateway(flags, options, async (client) => {
    if (flags.model !== undefined) await assertConfiguredModel(client, flags.model);
    // Its own run's events reach it anyway (it started the run); following the session also
    // brings a run queued ahead of it in the same session.
    await client.followSession(flags.sessionKey ?? "main", flags.agent);
    return runAgentTurn(client, { params, timeoutMs, printer: stream ? printer : undefined });
  });
  const text = replyText(final);
  if (final.status !== "ok") {
    if (printer.active) printer.finish(text, " [failed]");
    throw failure(final);
  }
  if (flags.json) out.json(final);
  else if (stream) printer.finish(text);
  else out.line(text);
  return EXIT.ok;
}

/** The reply: the text of every payload, one after the other. */
export function replyText(final: AgentFinal): string {
  return (final.result?.payloads ?? []).map((p) => p.text ?? "").join("\n");
}

/**
 * Refuses a `--model` the gateway has not configured before anything is sent: the turn would only
 * fail later, and the configured refs are what the user can pick from.
 */
async function assertConfiguredModel(client: GatewayClient, ref: string): Promise<void> {
  const { models = [] } = await client.request<{
    models?: { id: string; provider: string; alias?: string }[];
  }>("models.list", {});
  const refs = models.map((m) => `${m.provider}/${m.id}`);
  if (refs.includes(ref) || models.some((m) => m.alias?.toLowerCase() === ref.toLowerCase())) return;
  throw new CliError(
    `--model ${ref} is not configured on the gateway; ${refs.length > 0 ? `configured: ${refs.join(", ")}` : "no models are configured"}`,
    EXIT.usage,
    refs.length > 0
      ? `use one of those, or add it under models.providers.<id>.models in the config`
      : "add a provider with its models under models.providers in the config",
  );
}

function agentParams(flags: AgentFlags): Record<string, unknown> & { idempotencyKey: string } {
  if (flags.message.trim() === "") {
    throw new CliError("the message is empty", EXIT.usage, 'example: keel agent -m "Summarize the news"');
  }
  if (flags.model !== undefined && !/^(?:[^/]+\/.+|[^/\s](?:[^/]*[^/\s])?)$/.test(flags.model)) {
    throw new CliError(
      `--model must be provider/model or an alias (got ${flags.model})`,
      EXIT.usage,
      "example: --model openai/gpt-4o-mini",
    );
  }
  return {
    message: flags.message,
    idempotencyKey: randomUUID(),
    ...(flags.agent ? { agentId: flags.agent } : {}),
    ...(flags.sessionKey ? { sessionKey: flags.sessionKey } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    // The gateway stops the run when the CLI would stop waiting, instead of running on unseen.
    ...(flags.timeout !== undefined ? { timeout: Math.max(1, Math.ceil(flags.timeout / 1_000)) } : {}),
  };
}

/** A failed or aborted turn as one line, a hint by kind, and the payload for --json. */
function failure(final: AgentFinal): CliError {
  const kind = final.error?.kind;
  const why = final.error?.message ?? final.summary ?? "failed";
  const message = `the agent run ${final.summary === "aborted" ? "was aborted" : "failed"}${kind ? ` (${kind})` : ""}: ${why}`;
  return new CliError(message, EXIT.error, hintFor(kind), final);
}

function hintFor(kind: string | undefined): string {
  switch (kind) {
    case "auth":
    case "billing":
      return "check the provider's API key (models.providers.<id>.apiKey in the config)";
    case "rate_limit":
    case "overloaded":
      return "the provider is busy or limiting requests; try again shortly";
    case "timeout":
      return "the model did not answer in time; raise --timeout or agents.defaults.timeoutSeconds";
    case "network":
      return "the provider could not be reached: check its baseUrl in the config and that it is running";
    case "model_not_found":
    case "endpoint_not_found":
      return "check the model id and the provider's baseUrl in the config";
    case "context_length":
      return "the message is too long for the model's context window";
    case "config":
      return "check agents.defaults.model and models.providers in the config (`keel doctor`)";
    default:
      return "`keel logs` shows what the gateway saw";
  }
}
