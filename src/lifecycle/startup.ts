// Startup work as a list of named steps, run in order after the listener is up; each step's
// state and duration is kept for health and status.

export type StepState = "pending" | "running" | "done" | "failed";

export interface StartupStep {
  name: string;
  /** Work of this step; the signal aborts when the gateway closes during startup. */
  run: (signal: AbortSignal) => unknown | Promise<unknown>;
}

export interface StepStatus {
  name: string;
  state: StepState;
  startedAt?: number;
  durationMs?: number;
  error?: string;
  /** Free text a step may set (e.g. "waiting 5000 ms after 4 rapid restarts"). */
  detail?: string;
}

export type StartupPhase = "starting" | "ready" | "failed";

/** Runs steps in order; the first failure stops the list and fails startup. */
export class StartupSteps {
  private readonly list: StartupStep[] = [];
  readonly status: StepStatus[] = [];
  phase: StartupPhase = "starting";
  error: Error | undefined;

  add(step: StartupStep): this {
    this.list.push(step);
    this.status.push({ name: step.name, state: "pending" });
    return this;
  }

  /** Sets a step's detail text (shown by health while the step runs). */
  detail(name: string, text: string): void {
    const s = this.status.find((x) => x.name === name);
    if (s) s.detail = text;
  }

  async run(signal: AbortSignal): Promise<void> {
    for (const [i, step] of this.list.entries()) {
      const st = this.status[i]!;
      st.state = "running";
      st.startedAt = Date.now();
      const t0 = performance.now();
      try {
        if (signal.aborted) throw signal.reason;
        await step.run(signal);
        st.state = "done";
      } catch (err) {
        st.state = "failed";
        st.error = err instanceof Error ? err.message : String(err);
        this.phase = "failed";
        this.error = err instanceof Error ? err : new Error(String(err));
        throw this.error;
      } finally {
        st.durationMs = Math.round((performance.now() - t0) * 100) / 100;
      }
    }
    this.phase = "ready";
  }
}

/** A sleep that an abort cuts short. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
