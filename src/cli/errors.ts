// Errors the CLI turns into one line and an exit code (only main.ts prints and exits).

/** Exit codes: 0 ok, 1 error, 2 usage, 78 config. */
export const EXIT = { ok: 0, error: 1, usage: 2, config: 78 } as const;

export class CliError extends Error {
  readonly exitCode: number;
  /** A second line telling the user what to try. */
  readonly hint: string | undefined;
  constructor(message: string, exitCode: number = EXIT.error, hint?: string) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.hint = hint;
  }
}
