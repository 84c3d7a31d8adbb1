// `keel gateway install|uninstall`: a systemd user unit that runs this keel, restarts it on failure, not on a config error.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { defaultStateDir, resolveConfigPath, resolveStateDir, systemdUserUnitDir } from "../config/paths.js";
import { CliError, EXIT } from "./errors.js";
import { Out } from "./output.js";

export interface InstallFlags {
  stateDir?: string;
  config?: string;
  /** Print the unit instead of writing it. */
  print?: boolean;
  /** Replace a unit that differs from the one we would write. */
  force?: boolean;
}

const UNIT_NAME = "keel.service";

/** What the unit runs: this node binary and this keel bundle. */
export interface UnitInput {
  node: string;
  script: string;
  stateDir: string;
  /** Set when the config path is not `<stateDir>/keel.json`. */
  configPath?: string;
  /** True when stateDir is not ~/.keel (the unit must then say which). */
  customStateDir: boolean;
}

/** The unit text. Exit 78 (a config error) stops the restarts: retrying cannot fix a bad file. */
export function unitText(u: UnitInput): string {
  const env = [
    ...(u.customStateDir ? [`Environment=${quoteValue(`KEEL_STATE_DIR=${u.stateDir}`)}`] : []),
    ...(u.configPath ? [`Environment=${quoteValue(`KEEL_CONFIG_PATH=${u.configPath}`)}`] : []),
  ];
  return [
    "# Written by `keel gateway install`; `keel gateway uninstall` removes it.",
    "[Unit]",
    "Description=Keel AI agent gateway",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${[u.node, u.script, "gateway", "run"].map(quoteArg).join(" ")}`,
    ...env,
    // Secrets the config names as ${VAR} (API keys): a service does not see the login shell's exports.
    `EnvironmentFile=-${escapePercent(join(u.stateDir, "env"))}`,
    "Restart=on-failure",
    "RestartSec=5",
    // 78 is EX_CONFIG: the config is invalid, and restarting would only repeat the error.
    "RestartPreventExitStatus=78",
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

/** Writes (or prints) the unit for this node and keel, with the state dir and config of the flags. */
export function gatewayInstall(flags: InstallFlags): number {
  const out = new Out();
  const input = unitInput(flags);
  const text = unitText(input);
  if (flags.print) {
    process.stdout.write(text);
    return EXIT.ok;
  }
  const file = join(systemdUserUnitDir(), UNIT_NAME);
  const previous = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (previous !== undefined && previous !== text && !flags.force) {
    throw new CliError(
      `${file} exists and differs from the unit keel would write`,
      EXIT.error,
      "pass --force to replace it, or --print to compare",
    );
  }
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, file);
  out.line(`${previous === undefined ? "wrote" : "updated"} ${file}`);
  out.line("next:");
  out.line("  systemctl --user daemon-reload && systemctl --user enable --now keel");
  out.line("  loginctl enable-linger $USER   # keep it running after you log out");
  out.line(
    `put secrets the config names as \${VAR} in ${join(input.stateDir, "env")} (NAME=value, mode 600)`,
  );
  return EXIT.ok;
}

/** Removes the unit file (after the user stopped the service); nothing to remove is not an error. */
export function gatewayUninstall(): number {
  const out = new Out();
  const file = join(systemdUserUnitDir(), UNIT_NAME);
  if (!existsSync(file)) {
    out.line(`no unit at ${file}; nothing to remove`);
    return EXIT.ok;
  }
  rmSync(file);
  out.line(`removed ${file}`);
  out.line("if it was enabled: systemctl --user disable --now keel && systemctl --user daemon-reload");
  return EXIT.ok;
}

function unitInput(flags: InstallFlags): UnitInput {
  const stateDir = resolveStateDir(flags.stateDir);
  const configPath = resolveConfigPath(stateDir, flags.config);
  // The bin may be an npm symlink; the unit must name the real file.
  const script = realpathSync(process.argv[1] ?? "");
  return {
    node: process.execPath,
    script,
    stateDir,
    customStateDir: stateDir !== defaultStateDir(),
    ...(configPath !== join(stateDir, "keel.json") ? { configPath } : {}),
  };
}

/** One ExecStart word: `%` and `$` would be expanded by systemd; spaces and quotes need quoting. */
function quoteArg(word: string): string {
  const escaped = escapePercent(word).replaceAll("$", "$$$$");
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"` : escaped;
}

/** One Environment= assignment, quoted when it holds spaces. */
function quoteValue(assignment: string): string {
  const escaped = escapePercent(assignment);
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"` : escaped;
}

function escapePercent(s: string): string {
  return s.replaceAll("%", "%%");
}
