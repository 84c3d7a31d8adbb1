// SIGTERM/SIGINT: graceful close bounded by a timeout; a second signal exits at once. SIGUSR1: restart.

export interface SignalOptions {
  close: (reason: string) => Promise<void>;
  /** SIGUSR1 (`keel gateway restart`): drain and close for a restart in this process; absent: ignored. */
  restart?: () => Promise<void>;
  /** How long a close may take before the process exits anyway; read when the signal arrives. */
  timeoutMs: number | (() => number);
  onMessage: (msg: string) => void;
  /** Called with the exit code, or "restart" once a SIGUSR1 close is done. */
  exit?: (code: number | "restart") => void;
}

/** Installs the handlers; returns a function that removes them. */
export function handleSignals(options: SignalOptions): () => void {
  const exit = options.exit ?? ((code: number | "restart") => process.exit(code === "restart" ? 0 : code));
  let stopping = false;
  const bounded = (work: () => Promise<void>, done: number | "restart") => {
    const timeoutMs = typeof options.timeoutMs === "function" ? options.timeoutMs() : options.timeoutMs;
    const timer = setTimeout(() => {
      options.onMessage(`shutdown took longer than ${timeoutMs} ms; exiting`);
      exit(1);
    }, timeoutMs);
    timer.unref();
    work().then(
      () => {
        clearTimeout(timer);
        exit(done);
      },
      () => exit(1),
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.onMessage(`${signal} again: exiting now`);
      exit(130);
      return;
    }
    stopping = true;
    options.onMessage(`${signal}: shutting down (send again to exit at once)`);
    bounded(() => options.close(signal === "SIGINT" ? "interrupted" : "shutdown"), 0);
  };
  const onRestart = () => {
    const restart = options.restart;
    if (stopping || !restart) return;
    stopping = true;
    options.onMessage("SIGUSR1: restarting (draining runs first)");
    bounded(restart, "restart");
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("SIGUSR1", onRestart);
  return () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    process.off("SIGUSR1", onRestart);
  };
}
