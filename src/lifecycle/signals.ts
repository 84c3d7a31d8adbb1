// SIGTERM/SIGINT: graceful close bounded by a timeout; a second signal exits at once.

export interface SignalOptions {
  close: (reason: string) => Promise<void>;
  timeoutMs: number;
  onMessage: (msg: string) => void;
  exit?: (code: number) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function handleSignals(options: SignalOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.onMessage(`${signal} again: exiting now`);
      exit(130);
      return;
    }
    stopping = true;
    options.onMessage(`${signal}: shutting down (send again to exit at once)`);
    const timer = setTimeout(() => {
      options.onMessage(`shutdown took longer than ${options.timeoutMs} ms; exiting`);
      exit(1);
    }, options.timeoutMs);
    timer.unref();
    options.close(signal === "SIGINT" ? "interrupted" : "shutdown").then(
      () => exit(0),
      () => exit(1),
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
}
