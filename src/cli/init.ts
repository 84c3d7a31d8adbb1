// `keel init`: writes a starter config for one provider, validates it, and says what to run next.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline/promises";
import { defaultStateDir, resolveConfigPath, resolveStateDir } from "../config/paths.js";
import { CliError, EXIT } from "./errors.js";
import { Out } from "./output.js";

export interface InitFlags {
  openai?: boolean;
  anthropic?: boolean;
  baseUrl?: string;
  apiKeyEnv?: string;
  model?: string;
  provider?: string;
  force?: boolean;
  stateDir?: string;
  config?: string;
}

/** The provider a starter config names: where it is, which env var holds its key, which model. */
export interface Starter {
  provider: string;
  baseUrl: string;
  apiKeyEnv: string;
  model?: string;
  /** The provider's wire format when it is not the default openai-completions. */
  api?: "anthropic-messages";
}

const OPENAI: Starter = {
  provider: "openai",
  baseUrl: "https://api.openai.com/v1",
  apiKeyEnv: "OPENAI_API_KEY",
  model: "gpt-4o-mini",
};
const ANTHROPIC: Starter = {
  provider: "anthropic",
  baseUrl: "https://api.anthropic.com",
  apiKeyEnv: "ANTHROPIC_API_KEY",
  model: "claude-sonnet-4-5",
  api: "anthropic-messages",
};
const USAGE =
  "pass --openai, --anthropic, or --base-url URL --api-key-env NAME [--model ID] for an OpenAI-compatible server";
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Writes `<state>/keel.json` (or --config); refuses to replace one without --force. */
export async function init(flags: InitFlags): Promise<number> {
  const out = new Out();
  const starter = fromFlags(flags) ?? (await ask());
  const stateDir = resolveStateDir(flags.stateDir);
  const path = resolveConfigPath(stateDir, flags.config);
  if (existsSync(path) && !flags.force) {
    throw new CliError(
      `${path} already exists; not overwriting it`,
      EXIT.error,
      "pass --force to replace it",
    );
  }
  const replaced = existsSync(path);
  await writeValidated(path, starter);
  const backup = replaced ? ` (the previous file is ${path}.bak)` : "";
  const model = starter.model ? `, default model ${starter.provider}/${starter.model}` : "";
  out.line(`wrote ${path}: provider ${starter.provider} at ${starter.baseUrl}${model}${backup}`);
  if (!starter.model) {
    out.line(
      `no --model given: add one to models.providers.${starter.provider}.models and set agents.defaults.model before chatting`,
    );
  }
  out.line(`the gateway reads the API key from $${starter.apiKeyEnv}: set it where the gateway runs`);
  const where = [
    ...(flags.stateDir !== undefined && stateDir !== defaultStateDir() ? [`--state-dir ${stateDir}`] : []),
    ...(flags.config !== undefined ? [`--config ${path}`] : []),
  ].join(" ");
  out.line("next:");
  out.line(`  keel gateway run${where ? ` ${where}` : ""}`);
  out.line(`  keel chat${where ? ` ${where}` : ""}`);
  return EXIT.ok;
}

/** The starter config, as JSON5 with a header comment. The key stays a ${VAR}, never a value. */
export function starterConfig(s: Starter): string {
  const config = {
    models: {
      providers: {
        [s.provider]: {
          ...(s.api ? { api: s.api } : {}),
          baseUrl: s.baseUrl,
          apiKey: `\${${s.apiKeyEnv}}`,
          models: s.model ? [{ id: s.model }] : [],
        },
      },
    },
    ...(s.model ? { agents: { defaults: { model: `${s.provider}/${s.model}` } } } : {}),
  };
  return `// Keel config written by \`keel init\`. Every key is listed in the README's configuration table.\n${JSON.stringify(config, null, 2)}\n`;
}

function fromFlags(flags: InitFlags): Starter | undefined {
  if ([flags.openai, flags.anthropic, flags.baseUrl !== undefined].filter(Boolean).length > 1) {
    throw new CliError("--openai, --anthropic and --base-url are alternatives; pass one", EXIT.usage);
  }
  if (flags.anthropic) {
    return { ...ANTHROPIC, ...(flags.model ? { model: flags.model } : {}), ...pick(flags) };
  }
  if (flags.openai) {
    return { ...OPENAI, ...(flags.model ? { model: flags.model } : {}), ...pick(flags) };
  }
  if (flags.baseUrl === undefined) {
    if (flags.apiKeyEnv !== undefined || flags.model !== undefined) {
      throw new CliError("--api-key-env and --model need --base-url (or --openai)", EXIT.usage, USAGE);
    }
    return undefined;
  }
  if (flags.apiKeyEnv === undefined) {
    throw new CliError(
      "--base-url needs --api-key-env NAME (the variable holding the key)",
      EXIT.usage,
      USAGE,
    );
  }
  return {
    provider: flags.provider ?? "custom",
    baseUrl: flags.baseUrl,
    apiKeyEnv: flags.apiKeyEnv,
    ...(flags.model ? { model: flags.model } : {}),
  };
}

function pick(flags: InitFlags): Partial<Starter> {
  return {
    ...(flags.provider ? { provider: flags.provider } : {}),
    ...(flags.apiKeyEnv ? { apiKeyEnv: flags.apiKeyEnv } : {}),
  };
}

/** On a terminal, asks for what the flags would say; without one, says which flags to pass. */
async function ask(): Promise<Starter> {
  if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
    throw new CliError(
      "keel init needs to know the provider and no terminal is attached to ask",
      EXIT.usage,
      USAGE,
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const kind = (await rl.question("Provider: 1) OpenAI  2) another OpenAI-compatible server [1]: ")).trim();
    if (kind === "" || kind === "1") {
      const model = (await rl.question(`Model id [${OPENAI.model}]: `)).trim();
      return { ...OPENAI, ...(model ? { model } : {}) };
    }
    if (kind !== "2") throw new CliError(`not a choice: ${kind}`, EXIT.usage, USAGE);
    const baseUrl = (await rl.question("Base URL (e.g. http://127.0.0.1:4000/v1): ")).trim();
    const apiKeyEnv = (await rl.question("Environment variable holding its API key [LLM_API_KEY]: ")).trim();
    const model = (await rl.question("Model id (empty: add one later): ")).trim();
    return {
      provider: "custom",
      baseUrl,
      apiKeyEnv: apiKeyEnv || "LLM_API_KEY",
      ...(model ? { model } : {}),
    };
  } finally {
    rl.close();
  }
}

/**
 * Writes to a temp file, loads it as the gateway would, then renames it into place (keeping a
 * replaced file as .bak). The key's variable gets a placeholder for the check: init must work
 * before the user has exported the key, and the file must still be valid once they have.
 */
async function writeValidated(path: string, s: Starter): Promise<void> {
  if (!ENV_NAME.test(s.apiKeyEnv)) {
    throw new CliError(
      `not an environment variable name: ${s.apiKeyEnv}`,
      EXIT.usage,
      "e.g. --api-key-env LLM_API_KEY",
    );
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.keel-init-${process.pid}.json`);
  writeFileSync(tmp, starterConfig(s), { mode: 0o600 });
  const { ConfigError, loadConfig } = await import("../config/load.js");
  try {
    loadConfig({ path: tmp, env: { [s.apiKeyEnv]: "placeholder-for-validation" } });
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof ConfigError) {
      const list = err.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
      throw new CliError(`the starter config would be invalid: ${list}`, EXIT.usage, USAGE);
    }
    throw err;
  }
  if (existsSync(path)) renameSync(path, `${path}.bak`);
  renameSync(tmp, path);
}
