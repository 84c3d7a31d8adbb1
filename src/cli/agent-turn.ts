// One `agent` request as `keel agent` runs it: streamed text, a spinner until the first token, Ctrl-C aborts.
import type { GatewayClient } from "../client/client.js";
import type { AgentFinal } from "./agent.js";
import { CliError, EXIT } from "./errors.js";
import { Spinner } from "./spinner.js";
import { type ChatEvent, StreamPrinter } from "./transcript.js";

/** After Ctrl-C sent the abort, how long the CLI waits for the gateway's final answer. */
const ABORT_WAIT_MS = 5_000;

export interface AgentTurnOptions {
  /** The `agent` params; `idempotencyKey` is the runId. */
  params: Record<string, unknown> & { idempotencyKey: string };
  timeoutMs: number;
  /** Where streamed text goes; undefined when the reply is printed whole at the end. */
  printer: StreamPrinter | undefined;
}

/** What `agent` acks with first (src/methods/agent.ts): where the run lives. */
interface Accepted {
  runId?: string;
  sessionKey?: string;
}

/** Thrown when Ctrl-C stopped the turn; `data` is the final answer when the gateway sent it. */
function interrupted(runId: string, final?: AgentFinal): CliError {
  return new CliError(`aborted the agent run ${runId} (Ctrl-C)`, EXIT.interrupted, undefined, final);
}

/**
 * Sends `agent` and waits for its final answer. Ctrl-C sends `chat.abort` for this run (once the
 * gateway has accepted it: an abort that overtakes the ack finds nothing to stop), waits briefly for
 * the aborted final, then ends with exit 130; a second Ctrl-C stops waiting at once.
 */
export async function runAgentTurn(client: GatewayClient, options: AgentTurnOptions): Promise<AgentFinal> {
  const runId = options.params.idempotencyKey;
  const { printer } = options;
  const spinner = new Spinner();
  let accepted: Accepted | undefined;
  let sigints = 0;
  let giveUp: (err: CliError) => void = () => {};
  const gaveUp = new Promise<never>((_, reject) => (giveUp = reject));
  gaveUp.catch(() => {});

  const abort = () => {
    if (!accepted) return; // onAccepted aborts as soon as the run exists
    void client
      .request("chat.abort", { sessionKey: accepted.sessionKey ?? "main", runId })
      .catch(() => {}) // already over: its final answer says how it ended
      .finally(() => setTimeout(() => giveUp(interrupted(runId)), ABORT_WAIT_MS).unref());
  };
  const onSigint = () => {
    spinner.stop();
    if (++sigints > 1) return giveUp(interrupted(runId));
    abort();
  };
  // Events may beat the ack; runId equals the idempotencyKey, so they can be matched already.
  const off = client.on("chat", (payload) => {
    const e = payload as ChatEvent;
    if (e.runId !== runId || e.state === "status") return;
    spinner.stop();
    if (e.state === "delta") printer?.event(e);
  });
  process.on("SIGINT", onSigint);
  spinner.start();
  try {
    const final = await Promise.race([
      client.request<AgentFinal>("agent", options.params, {
        expectFinal: true,
        timeoutMs: options.timeoutMs,
        onAccepted: (payload) => {
          accepted = payload as Accepted;
          if (sigints > 0) abort();
        },
      }),
      gaveUp,
    ]);
    if (sigints > 0) throw interrupted(runId, final);
    return final;
  } catch (err) {
    if (err instanceof CliError && err.exitCode === EXIT.interrupted && printer?.active) {
      printer.finish(printer.text, " [aborted]");
    }
    throw err;
  } finally {
    spinner.stop();
    process.off("SIGINT", onSigint);
    off();
  }
}
