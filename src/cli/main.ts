#!/usr/bin/env node
// The keel command: parses arguments, runs one command, prints its error, sets the exit code.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { CliError, EXIT } from "./errors.js";
import { VERSION } from "./version.js";

/** Builds the command tree. Each command's action resolves with an exit code. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("keel")
    .description("Keel: a self-hosted AI agent gateway")
    .version(VERSION, "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  const gateway = program.command("gateway").description("run and inspect the gateway");
  gateway
    .command("run")
    .description("run the gateway in the foreground")
    .option("--port <port>", "port for WebSocket and HTTP (0 = any free port)", parsePort)
    .addOption(
      new Option("--bind <mode>", "loopback (127.0.0.1) or lan (all interfaces)").choices([
        "loopback",
        "lan",
      ]),
    )
    .option("--token <token>", "shared token clients must present")
    .option("--password <password>", "shared password clients must present")
    .option("--state-dir <dir>", "state directory (default ~/.keel, or KEEL_STATE_DIR)")
    .option("--config <path>", "config file (default <state>/keel.json, or KEEL_CONFIG_PATH)")
    .action(async (opts) => {
      const { gatewayRun } = await import("./gateway-run.js");
      setExit(await gatewayRun(opts));
    });
  return program;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n > 65535) throw new InvalidArgumentError("must be a port number 0-65535");
  return n;
}

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander; they already printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`keel: ${err.message}\n`);
      if (err.hint) process.stderr.write(`      ${err.hint}\n`);
      return err.exitCode;
    }
    process.stderr.write(
      `keel: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return EXIT.error;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
  // Foreground commands end here; don't wait on stray handles (open sockets, timers).
  setImmediate(() => process.exit(code));
});
