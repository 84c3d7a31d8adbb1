// `keel completion bash|zsh|fish`: a completion script generated from the command tree itself.
import type { Command } from "commander";
import { CliError, EXIT } from "./errors.js";

interface Node {
  /** Space-separated path from the root, "" for `keel` itself. */
  path: string;
  command: Command;
}

/** Prints the script for `shell`; the tree is the one main.ts built, so new commands complete at once. */
export function completion(shell: string, root: Command): number {
  const nodes = walk(root);
  const script =
    shell === "bash"
      ? bash(nodes)
      : shell === "zsh"
        ? zsh(nodes)
        : shell === "fish"
          ? fish(nodes)
          : undefined;
  if (script === undefined)
    throw new CliError(`no completion for ${shell}`, EXIT.usage, "use bash, zsh or fish");
  process.stdout.write(script);
  return EXIT.ok;
}

function walk(command: Command, path = ""): Node[] {
  return [
    { path, command },
    ...command.commands.flatMap((c) => walk(c, path ? `${path} ${c.name()}` : c.name())),
  ];
}

function flags(c: Command): string[] {
  return [...c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))), "--help"];
}

const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** A case per command path: its subcommands (used to find the path) and its words. */
function bash(nodes: Node[]): string {
  const children = nodes.map(
    (n) => `    ${sh(n.path)}) echo ${sh(n.command.commands.map((c) => c.name()).join(" "))} ;;`,
  );
  const words = nodes.map(
    (n) =>
      `    ${sh(n.path)}) echo ${sh([...n.command.commands.map((c) => c.name()), ...flags(n.command)].join(" "))} ;;`,
  );
  return `# keel completion for bash: eval "$(keel completion bash)" (e.g. in ~/.bashrc)
_keel_children() {
  case "$1" in
${children.join("\n")}
  esac
}
_keel_words() {
  case "$1" in
${words.join("\n")}
  esac
}
_keel() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" i w
  # The command path is every earlier word that names a subcommand of the path so far;
  # flags and their values are skipped.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ " $(_keel_children "$path") " == *" $w "* ]]; then path="\${path:+$path }$w"; fi
  done
  COMPREPLY=($(compgen -W "$(_keel_words "$path")" -- "$cur"))
}
complete -F _keel keel
`;
}

/** zsh runs the bash function through bashcompinit. */
function zsh(nodes: Node[]): string {
  return `# keel completion for zsh: eval "$(keel completion zsh)" (e.g. in ~/.zshrc)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash(nodes).split("\n").slice(1).join("\n")}`;
}

/** One `complete` line per subcommand and per flag, conditioned on the command path typed so far. */
function fish(nodes: Node[]): string {
  const lines = ["# keel completion for fish: keel completion fish | source", "complete -c keel -f"];
  for (const n of nodes) {
    const cond =
      n.path === "" ? "__fish_use_subcommand" : `__fish_seen_subcommand_from ${n.path.split(" ").at(-1)}`;
    for (const c of n.command.commands) {
      lines.push(`complete -c keel -n ${sh(cond)} -a ${c.name()} -d ${sh(c.description())}`);
    }
    for (const o of n.command.options) {
      const long = o.long ? ` -l ${o.long.replace(/^--/, "")}` : "";
      const short = o.short ? ` -s ${o.short.replace(/^-/, "")}` : "";
      lines.push(`complete -c keel -n ${sh(cond)}${long}${short} -d ${sh(o.description)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
