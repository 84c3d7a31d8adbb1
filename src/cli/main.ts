#!/usr/bin/env node
// The keel command: parses arguments, runs one command, prints its error, sets the exit code.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { CliError, EXIT } from "./errors.js";
import { registerSetupCommands } from "./setup.js";
import { VERSION } from "./version.js";

/** Set by `gateway run`: a closed stdout must not stop a gateway. */
let keepRunningOnClosedPipe = false;

/** Builds the command tree. Each command's action resolves with an exit code. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("keel")
    .description("Keel: a self-hosted AI agent gateway")
    .version(VERSION, "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  const gateway = registerGatewayCommands(program, setExit);
  registerInspectCommands(program, setExit);
  registerTurnCommands(program, setExit);
  registerSessionCommands(program, setExit);
  registerSetupCommands({ program, gateway, setExit, clientCommand });
  return program;
}

type SetExit = (code: number) => void;

/** `gateway run|call|status|probe`; returns the `gateway` command for setup's install/uninstall. */
function registerGatewayCommands(program: Command, setExit: SetExit): Command {
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
      keepRunningOnClosedPipe = true;
      const { gatewayRun } = await import("./gateway-run.js");
      setExit(await gatewayRun(opts));
    });

  clientCommand(gateway.command("call"), "call one gateway method and print its result as JSON")
    .argument("<method>", "method name, e.g. health, status, chat.history")
    .option("--params <json>", "method params as a JSON object", "{}")
    .option("--expect-final", "for methods that answer twice (agent): wait for the final answer")
    .option("--verbose", "say on stderr what was added to the params (a generated idempotencyKey)")
    .action(async (method: string, opts) => {
      const { gatewayCall } = await import("./gateway-call.js");
      setExit(await gatewayCall(method, opts));
    });
  gateway
    .command("restart")
    .description("drain the local gateway's runs and start it again, applying keys that wait for a restart")
    .option("--state-dir <dir>", "state directory (default ~/.keel, or KEEL_STATE_DIR)")
    .option(
      "--timeout <ms>",
      "how long to wait for it to be back, drain included (default 180000)",
      parseCount,
    )
    .option("--json", "machine-readable output")
    .action(async (opts) => {
      const { gatewayRestart } = await import("./gateway-restart.js");
      setExit(await gatewayRestart(opts));
    });
  clientCommand(gateway.command("status"), "is the gateway running, where, and which version").action(
    async (opts) => {
      const { gatewayStatus } = await import("./gateway-status.js");
      setExit(await gatewayStatus(opts));
    },
  );
  clientCommand(
    gateway.command("probe"),
    "check reachability, what the credentials may do, and a read; exits 1 only if nothing answers",
  ).action(async (opts) => {
    const { gatewayProbe } = await import("./gateway-probe.js");
    setExit(await gatewayProbe(opts));
  });

  return gateway;
}

/** `health`, `status`, `logs`, `config get`, `doctor`: what the gateway and this machine look like. */
function registerInspectCommands(program: Command, setExit: SetExit): void {
  clientCommand(program.command("health"), "the gateway's health: startup, subsystems, memory, event loop")
    .option("--probe", "measure now instead of reading the cached snapshot")
    .action(async (opts) => {
      const { health } = await import("./health.js");
      setExit(await health(opts));
    });
  clientCommand(program.command("status"), "what the running gateway is doing, and who is connected").action(
    async (opts) => {
      const { status } = await import("./status.js");
      setExit(await status(opts));
    },
  );
  clientCommand(program.command("logs"), "print the gateway's log (from <state>/logs/keel.log, over RPC)")
    .option("-f, --follow", "keep printing new lines until Ctrl+C (reconnects if the gateway restarts)")
    .option("-n, --limit <lines>", "how many of the last lines to print first (default 200)", parseCount)
    .option("--interval <ms>", "poll interval with --follow (default 1000)", parseCount)
    .action(async (opts) => {
      const { logs } = await import("./logs.js");
      setExit(await logs(opts));
    });

  const config = program.command("config").description("read the running gateway's configuration");
  clientCommand(config.command("get"), "print the effective config (secrets redacted), or one key")
    .argument("[path]", "dotted key, e.g. gateway.port")
    .action(async (path: string | undefined, opts) => {
      const { configGet } = await import("./config-get.js");
      setExit(await configGet(path, opts));
    });

  clientCommand(
    program.command("doctor"),
    "check state dir, config, token, models and providers (probed), port and the running gateway",
  ).action(async (opts) => {
    const { doctor } = await import("./doctor.js");
    setExit(await doctor(opts));
  });
}

/** `agent` (one turn) and `chat` (a terminal chat). */
function registerTurnCommands(program: Command, setExit: SetExit): void {
  clientCommand(program.command("agent"), "run one agent turn and print the reply (exit 1 if the turn fails)")
    .requiredOption("-m, --message <text>", "the message to send")
    .option("--agent <id>", "agent id (default: the configured default agent)")
    .option("--session-key <key>", "session to run in (default main)")
    .option("--model <provider/model>", "use this configured model for the turn, strictly (no failover)")
    .addHelpText(
      "after",
      "\n--timeout also bounds the run: the gateway stops it when the CLI would stop waiting.",
    )
    .action(async (opts) => {
      const { agent } = await import("./agent.js");
      setExit(await agent(opts));
    });

  clientCommand(
    program.command("chat"),
    "chat with an agent in the terminal (reads lines from stdin when it is not a terminal)",
    { json: false },
  )
    .option("--session-key <key>", "session to chat in (default main)")
    .option("--agent <id>", "agent id (default: the configured default agent)")
    .option("--history <n>", "messages of history shown on open and by /history (default 20)", parseCount)
    .addHelpText(
      "after",
      "\nIn the chat: /history [N], /reset (fresh transcript, same key), /quit.\n" +
        "Ctrl-C stops a streaming reply; Ctrl-C at the prompt, twice quickly, or Ctrl-D quits.",
    )
    .action(async (opts) => {
      const { chat } = await import("./chat.js");
      setExit(await chat(opts));
    });
}

/** `sessions` and its `show|reset|delete`. */
function registerSessionCommands(program: Command, setExit: SetExit): void {
  const sessions = clientCommand(
    program.command("sessions"),
    "list sessions (most recent first); show, reset or delete one",
  )
    // Options after a subcommand name belong to the subcommand (`sessions show k --json`).
    .enablePositionalOptions()
    .option("--active <minutes>", "only sessions updated in the last <minutes>", parseCount)
    .option("--agent <id>", "only this agent's sessions")
    .option("--limit <n>", "at most this many sessions (default 100)", parseCount)
    .action(async (opts) => {
      const { sessionsList } = await import("./sessions.js");
      setExit(await sessionsList(opts));
    });
  clientCommand(sessions.command("show"), "print a session's history, newest page first, oldest line first")
    .argument("<key>", "session key, e.g. main")
    .option("--agent <id>", "agent the key belongs to (default: the default agent)")
    .option("--limit <n>", "messages per page (default 50)", parseCount)
    .option("--offset <n>", "skip this many of the newest messages (the `older:` line gives it)", parseOffset)
    .action(async (key: string, _opts, cmd: Command) => {
      const { sessionsShow } = await import("./sessions.js");
      setExit(await sessionsShow(key, cmd.optsWithGlobals()));
    });
  clientCommand(
    sessions.command("reset"),
    "start a fresh transcript under the same key (the old one is kept until pruned)",
  )
    .argument("<key>", "session key")
    .option("--agent <id>", "agent the key belongs to (default: the default agent)")
    .action(async (key: string, _opts, cmd: Command) => {
      const { sessionsReset } = await import("./sessions.js");
      setExit(await sessionsReset(key, cmd.optsWithGlobals()));
    });
  clientCommand(
    sessions.command("delete"),
    "remove a session from the list (its transcript is kept until pruned)",
  )
    .argument("<key>", "session key")
    .option("--agent <id>", "agent the key belongs to (default: the default agent)")
    .action(async (key: string, _opts, cmd: Command) => {
      const { sessionsDelete } = await import("./sessions.js");
      setExit(await sessionsDelete(key, cmd.optsWithGlobals()));
    });
}

/** Adds the flags every client command shares (target, credentials, budget, output). */
function clientCommand(cmd: Command, description: string, { json = true } = {}): Command {
  cmd
    .description(description)
    .option(
      "--url <url>",
      "gateway URL (default KEEL_GATEWAY_URL, else the running local gateway's port, else the config's)",
    )
    .option("--token <token>", "gateway token (default KEEL_GATEWAY_TOKEN, else the local config/token file)")
    .option(
      "--password <password>",
      "gateway password (default KEEL_GATEWAY_PASSWORD, else the local config)",
    )
    .option(
      "--timeout <ms>",
      "connect budget and request timeout in ms (default: the gateway's handshake timeout)",
      parseCount,
    )
    .option("--state-dir <dir>", "state directory (default ~/.keel, or KEEL_STATE_DIR)")
    .option("--config <path>", "config file (default <state>/keel.json, or KEEL_CONFIG_PATH)");
  return json ? cmd.option("--json", "machine-readable output") : cmd;
}

/** A positive integer flag value. */
export function parseCount(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("must be a positive integer");
  }
  return n;
}

/** A non-negative integer flag value (offsets). */
export function parseOffset(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError("must be a non-negative integer");
  }
  return n;
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
      // Scripts asked for JSON: give them the failure in the same form, on stdout.
      if (err.data !== undefined && argv.includes("--json")) {
        process.stdout.write(`${JSON.stringify(err.data, null, 2)}\n`);
      }
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

// A reader that went away (`keel status | head -1`) ends a command quietly, as git and ls do;
// without this the write's EPIPE is an uncaught error with a stack trace. The gateway runs on:
// its log file still gets every line.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    if (!keepRunningOnClosedPipe) process.exit(EXIT.ok);
  });
}

main(process.argv).then((code) => {
  process.exitCode = code;
  // Foreground commands end here; don't wait on stray handles (open sockets, timers).
  setImmediate(() => process.exit(code));
});
