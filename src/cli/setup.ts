// Registers the setup commands: init, models, auth add|list, gateway install|uninstall, completion (main.ts calls this once).
import { Argument, type Command } from "commander";

/** What main.ts hands over: the tree, its `gateway` command, the exit setter and the client-flag helper. */
export interface SetupCommandsInput {
  program: Command;
  gateway: Command;
  setExit: (code: number) => void;
  clientCommand: (cmd: Command, description: string) => Command;
}

/** Adds the commands; each loads its module only when it runs (cold start stays small). */
export function registerSetupCommands({
  program,
  gateway,
  setExit,
  clientCommand,
}: SetupCommandsInput): void {
  program
    .command("init")
    .description("write a starter config (<state>/keel.json) for one provider and validate it")
    .option("--openai", "OpenAI, key from $OPENAI_API_KEY (model gpt-4o-mini unless --model)")
    .option("--base-url <url>", "an OpenAI-compatible server, e.g. http://127.0.0.1:4000/v1")
    .option("--api-key-env <name>", "environment variable the gateway reads the key from")
    .option("--model <id>", "model id to make the default agent's model")
    .option("--provider <id>", "provider id in the config (default openai, or custom with --base-url)")
    .option("--anthropic", "Anthropic's Messages API (key in $ANTHROPIC_API_KEY, model claude-sonnet-4-5)")
    .option("--force", "replace an existing config (the old one is kept as .bak)")
    .option("--state-dir <dir>", "state directory (default ~/.keel, or KEEL_STATE_DIR)")
    .option("--config <path>", "config file (default <state>/keel.json, or KEEL_CONFIG_PATH)")
    .addHelpText("after", "\nOn a terminal, `keel init` without a provider flag asks.")
    .action(async (opts) => {
      const { init } = await import("./init.js");
      setExit(await init(opts));
    });

  clientCommand(
    program.command("models"),
    "list configured models: provider, context window, and whether the provider answers",
  )
    .option("--no-probe", "do not ask the providers (list only)")
    .action(async (opts) => {
      const { models } = await import("./models.js");
      setExit(await models(opts));
    });

  registerAuthCommands(program, setExit);
  registerServiceCommands(program, gateway, setExit);
}

/** `auth add|list`: where each provider key comes from, and storing one. */
function registerAuthCommands(program: Command, setExit: (code: number) => void): void {
  const auth = program
    .command("auth")
    .description("provider keys of auth profiles (auth.profiles in the config)");
  auth
    .command("add")
    .description(
      "store a profile's key in <state>/credentials.json (0600), read without echo from the terminal or stdin",
    )
    .argument("<profile>", 'profile id "<provider>:<name>", e.g. openai:work')
    .option("--key-env <name>", "read the key from this environment variable instead")
    .option("--state-dir <dir>", "state directory (default ~/.keel, or KEEL_STATE_DIR)")
    .option("--config <path>", "config file (default <state>/keel.json, or KEEL_CONFIG_PATH)")
    .action(async (profile: string, opts) => {
      const { authAdd } = await import("./auth.js");
      setExit(await authAdd(profile, opts));
    });
  auth
    .command("list")
    .description("every credential in the config and where its key comes from (never the key)")
    .option("--json", "machine-readable output")
    .option("--state-dir <dir>", "state directory (default ~/.keel, or KEEL_STATE_DIR)")
    .option("--config <path>", "config file (default <state>/keel.json, or KEEL_CONFIG_PATH)")
    .action(async (opts) => {
      const { authList } = await import("./auth.js");
      setExit(await authList(opts));
    });
}

/** `gateway install|uninstall` (the systemd user unit) and `completion`. */
function registerServiceCommands(program: Command, gateway: Command, setExit: (code: number) => void): void {
  gateway
    .command("install")
    .description("write a systemd user unit (~/.config/systemd/user/keel.service) that runs this keel")
    .option("--print", "print the unit instead of writing it")
    .option("--force", "replace a unit that differs")
    .option("--state-dir <dir>", "state directory the unit uses (default ~/.keel, or KEEL_STATE_DIR)")
    .option("--config <path>", "config file the unit uses (default <state>/keel.json, or KEEL_CONFIG_PATH)")
    .action(async (opts) => {
      const { gatewayInstall } = await import("./gateway-install.js");
      setExit(gatewayInstall(opts));
    });
  gateway
    .command("uninstall")
    .description("remove the systemd user unit written by `keel gateway install`")
    .action(async () => {
      const { gatewayUninstall } = await import("./gateway-install.js");
      setExit(gatewayUninstall());
    });

  program
    .command("completion")
    .description('print a shell completion script (eval "$(keel completion bash)")')
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .action(async (shell: string) => {
      const { completion } = await import("./completion.js");
      setExit(completion(shell, program));
    });
}
