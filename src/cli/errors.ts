// Errors the CLI turns into one line and an exit code (only main.ts prints and exits).

/** Exit codes: 0 ok, 1 error, 2 usage, 78 config, 130 interrupted (Ctrl-C, as shells report SIGINT). */
export const EXIT = { ok: 0, error: 1, usage: 2, config: 78, interrupted: 130 } as const;

export class CliError extends Error {
  readonly exitCode: number;
  /** A second line telling the user what to try. */
  readonly hint: string | undefined;
  /** Machine-readable form of the failure, printed to stdout by main.ts when the command ran with --json. */
  readonly data: unknown;
  constructor(message: string, exitCode: number = EXIT.error, hint?: string, data?: unknown) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.hint = hint;
    this.data = data;
  }
}
