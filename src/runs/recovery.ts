// Crash recovery: runs get a durable start mark, and a start ends the marked runs a crash left open.
import type { Logger } from "../lifecycle/logger.js";
import type { RunMarker } from "../sessions/run-markers.js";
import type { SessionStore } from "../sessions/store.js";

/** The error a recovered run ends with, in its transcript and as its session's last run status. */
export const INTERRUPTED = "interrupted";
const INTERRUPTED_MESSAGE =
  "interrupted: the gateway stopped before this run finished; send the message again";

/**
 * Marks `run` as started; the caller writes its user message once this resolves. The mark goes
 * first so that no user message is ever durable without one: a crash between the two leaves a
 * mark whose run is ended as interrupted, never a turn that ends at the user message with no trace.
 */
export function markStart(
  store: SessionStore,
  run: { runId: string; sessionKey: string; sessionId: string; acceptedAt: number },
): Promise<void> {
  return store.runMarkers.open(startMarker(run));
}

/** The start mark of a run (SessionStore.beginRun writes it with the user message). */
export function startMarker(run: {
  runId: string;
  sessionKey: string;
  sessionId: string;
  acceptedAt: number;
}): RunMarker {
  return {
    runId: run.runId,
    sessionKey: run.sessionKey,
    sessionId: run.sessionId,
    startedAt: run.acceptedAt,
  };
}

/**
 * Ends every run a previous process left marked: each gets an `interrupted` error entry in its
 * transcript (chat.history shows it, with `errorMessage`) and its session's last run status
 * becomes `interrupted` (sessions.list). Runs before the store serves anything, so no live run
 * can be mistaken for a dead one. Returns how many were ended.
 */
export async function endInterruptedRuns(store: SessionStore, logger: Logger): Promise<number> {
  const open = await store.runMarkers.unfinished();
  let ended = 0;
  for (const m of open) {
    try {
      await store.appendMessage({
        sessionKey: m.sessionKey,
        sessionId: m.sessionId,
        role: "assistant",
        content: "",
        runId: m.runId,
        // A second recovery of the same mark (a crash during this loop) writes no second entry.
        idempotencyKey: `${INTERRUPTED}:${m.runId}`,
        meta: {
          status: "error",
          stopReason: "error",
          errorKind: INTERRUPTED,
          errorMessage: INTERRUPTED_MESSAGE,
        },
      });
      ended += 1;
    } catch (err) {
      // The session was deleted since: there is no transcript left to end.
      logger.debug({ err, runId: m.runId }, "interrupted run's session is gone");
    }
    await store.runMarkers.close(m.runId, INTERRUPTED);
  }
  if (open.length > 0) {
    logger.warn(
      { interrupted: ended, marked: open.length },
      `ended ${ended} interrupted run${ended === 1 ? "" : "s"} left unfinished by the previous gateway process`,
    );
  }
  return ended;
}
