// What a webhook does once it is authorized and its body checked: record a system event in an
// agent's main session (wake), or start a run (agent), its input marked untrusted either way.
import { UNTRUSTED_META } from "../models/messages.js";
import type { Admission } from "../runs/registry.js";
import type { FinishedRun } from "../runs/run.js";
import { type SessionRunDeps, startInSession } from "../runs/session-run.js";
import { invalidRequest } from "../protocol/errors.js";
import { mainSessionKey } from "../sessions/keys.js";
import { openSession } from "../sessions/resolve.js";
import { assertHookKey } from "./session.js";

export interface WakeInput {
  text: string;
  agentId: string;
  /** Where the text came from (`hook`, `hook:<mapping>`), kept with the untrusted mark. */
  source: string;
  /** A sender's delivery id: a retry of the same delivery records one event, not two. */
  idempotencyKey?: string | undefined;
}

/**
 * Appends the text to the agent's main session as a system event: no run starts, and the next
 * turn there reads it (inside its untrusted boundary) as part of the history.
 */
export async function wakeSession(deps: SessionRunDeps, input: WakeInput) {
  // The next turn reads it whole: the same bound as a message that starts a run.
  const max = deps.config.runs.maxMessageChars;
  if (input.text.length > max) {
    throw invalidRequest(`text is too long (${input.text.length} > ${max} characters)`, { field: "text" });
  }
  const key = mainSessionKey(deps.config, input.agentId);
  const { entry } = await openSession(deps.store, deps.config, key, {
    origin: "internal",
    agentId: input.agentId,
  });
  const row = await deps.store.appendMessage({
    sessionKey: entry.key,
    sessionId: entry.sessionId,
    role: "system",
    content: input.text,
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    meta: { wake: "now", [UNTRUSTED_META]: input.source },
  });
  return { sessionKey: entry.key, seq: row.seq };
}

export interface HookRunInput {
  message: string;
  agentId: string;
  /** The raw key (already allowed by the caller's rules); reserved prefixes other than hook: refused. */
  sessionKey: string;
  runId: string;
  source: string;
  model?: string | undefined;
  thinking?: string | undefined;
  timeoutSeconds?: number | undefined;
  /** Set when the HTTP request waits for the output: its disconnect aborts the run. */
  ownerSignal?: AbortSignal | undefined;
}

/** Starts (or finds, for a repeated runId) a hook run; resolves once it is admitted. */
export async function startHookRun(deps: SessionRunDeps, input: HookRunInput): Promise<Admission> {
  assertHookKey(deps.config, input.sessionKey, input.agentId);
  return startInSession(
    deps,
    input.sessionKey,
    { origin: "hook", agentId: input.agentId, thinking: input.thinking },
    {
      method: "agent",
      runId: input.runId,
      message: input.message,
      untrusted: input.source,
      ...(input.model ? { model: input.model } : {}),
      ...(input.timeoutSeconds ? { timeoutMs: input.timeoutSeconds * 1000 } : {}),
      ...(input.ownerSignal ? { ownerSignal: input.ownerSignal } : {}),
    },
  );
}

/** The runId of an admission, and its end: at once for a finished duplicate, else when it ends. */
export function admitted(
  admission: Admission,
  signal?: AbortSignal,
): { runId: string; end: () => Promise<FinishedRun | undefined> } {
  if (admission.kind === "new")
    return { runId: admission.run.runId, end: () => admission.run.waitEnd(signal) };
  if (admission.finished) {
    const f = admission.finished;
    return { runId: f.runId, end: () => Promise.resolve(f) };
  }
  const run = admission.active!;
  return { runId: run.runId, end: () => run.waitEnd(signal) };
}
