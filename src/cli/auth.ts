// `keel auth add|list`: provider keys of auth profiles in <state>/credentials.json, and where each credential's key comes from.
import { mkdirSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";
import {
  credentialsPath,
  envValue,
  readCredentialsFile,
  secretSource,
  writeCredential,
} from "../config/credentials.js";
import { resolveStateDir } from "../config/paths.js";
import type { Config } from "../config/schema.js";
import { CliError, EXIT } from "./errors.js";
import { Out } from "./output.js";
import { loadLocalConfig } from "./target.js";

export interface AuthFlags {
  stateDir?: string;
  config?: string;
  /** Read the key from this environment variable instead of stdin. */
  keyEnv?: string;
  json?: boolean;
}

const PROFILE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}:\S{1,128}$/;

/**
 * Stores a profile's key in <state>/credentials.json (0600): from `--key-env NAME`, else from
 * stdin — a prompt without echo on a terminal, the whole input (trailing newline dropped) from a
 * pipe. The key is never an argument, so it never shows in `ps` or shell history.
 */
export async function authAdd(profileId: string, flags: AuthFlags): Promise<number> {
  const out = new Out();
  if (!PROFILE_ID.test(profileId)) {
    throw new CliError(
      // Not echoed: a key pasted here by mistake must not land in the terminal's scrollback.
      "not a profile id",
      EXIT.usage,
      'profile ids are "<provider>:<name>", e.g. openai:work',
    );
  }
  const key = flags.keyEnv !== undefined ? keyFromEnv(flags.keyEnv) : await keyFromStdin(profileId);
  if (/\s/.test(key)) throw new CliError("the key contains whitespace", EXIT.usage, "paste the key alone");
  const stateDir = resolveStateDir(flags.stateDir);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const replaced = writeCredential(stateDir, profileId, key);
  out.line(
    `${replaced ? "replaced" : "stored"} the key of ${profileId} in ${credentialsPath(stateDir)} (mode 0600)`,
  );
  for (const note of await profileNotes(profileId, stateDir, flags.config)) out.line(note);
  out.line("a running gateway reads it at its next start");
  return EXIT.ok;
}

function keyFromEnv(name: string): string {
  const key = envValue(name);
  if (key === undefined)
    throw new CliError(`--key-env ${name}: the variable is not set (or empty)`, EXIT.usage);
  return key;
}

async function keyFromStdin(profileId: string): Promise<string> {
  const key = process.stdin.isTTY
    ? await promptHidden(`API key for ${profileId}: `)
    : await readAll(process.stdin);
  const trimmed = key.replace(/\r?\n$/, "");
  if (trimmed === "") {
    throw new CliError(
      "no key given",
      EXIT.usage,
      `pipe it in (keel auth add ${profileId} < keyfile) or use --key-env NAME`,
    );
  }
  return trimmed;
}

/** Asks on the terminal; what is typed is not echoed (the prompt itself is). */
async function promptHidden(prompt: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = rl.question(prompt);
    muted = true;
    return await answer;
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** What the local config says about the profile, when it can be read: missing, or keyEnv wins. */
async function profileNotes(
  profileId: string,
  stateDir: string,
  configFlag: string | undefined,
): Promise<string[]> {
  let config: Config;
  try {
    config = (await loadLocalConfig(stateDir, configFlag)).config;
  } catch {
    return [];
  }
  const profile = config.auth.profiles[profileId];
  const provider = profileId.slice(0, profileId.indexOf(":"));
  if (profile === undefined) {
    return [
      `the config has no profile ${profileId}; add it so the gateway uses this key:`,
      `  auth: { profiles: { "${profileId}": { provider: "${provider}", mode: "api_key" } } }`,
    ];
  }
  return profile.keyEnv === undefined
    ? []
    : [
        `note: the profile's keyEnv (${profile.keyEnv}) wins over this file; remove keyEnv to use the stored key`,
      ];
}

/** One credential as `keel auth list` shows it: never the key, only where it comes from. */
export interface CredentialRow {
  id: string;
  provider: string;
  /** "apiKey" for a provider's own key, else the profile's mode. */
  mode: string;
  /** models.providers.<id>.apiKey, env NAME, credentials.json */
  source: string;
  /** Whether the key is there, as seen from this shell (an env variable may be set only where the gateway runs). */
  present: boolean;
  /** Set for keys in credentials.json that no profile in the config uses. */
  unused?: boolean;
}

/** Lists every credential the local config defines, in each provider's order of use, and where its key comes from. */
export async function authList(flags: AuthFlags): Promise<number> {
  const out = new Out();
  const stateDir = resolveStateDir(flags.stateDir);
  const { config } = await loadLocalConfig(stateDir, flags.config);
  const file = readCredentialsFile(stateDir);
  const rows = credentialRows(config, file.profiles);
  if (flags.json) {
    out.json({ credentialsFile: credentialsPath(stateDir), credentials: rows, warnings: file.warnings });
    return EXIT.ok;
  }
  for (const w of file.warnings) process.stderr.write(`keel: ${w}\n`);
  if (rows.length === 0) {
    out.line(
      "no credentials configured (models.providers.<id>.apiKey, or auth.profiles with `keel auth add`)",
    );
    return EXIT.ok;
  }
  out.table(
    ["credential", "provider", "mode", "key from"],
    rows.map((r) => [r.id, r.provider, r.mode, describe(out, r)]),
  );
  return EXIT.ok;
}

function describe(out: Out, r: CredentialRow): string {
  if (r.unused) return `${r.source} ${out.paint("(no profile in the config uses it)", "yellow")}`;
  if (r.present) return r.source;
  const why = r.source.startsWith("env ") ? "not set in this shell" : `missing: run keel auth add ${r.id}`;
  return `${r.source} ${out.paint(`(${why})`, "red")}`;
}

function credentialRows(config: Config, file: Readonly<Record<string, string>>): CredentialRow[] {
  const rows: CredentialRow[] = [];
  for (const [provider, p] of Object.entries(config.models.providers)) {
    if (p.apiKey !== undefined) {
      const source = `models.providers.${provider}.apiKey`;
      rows.push({ id: `${provider}:default`, provider, mode: "apiKey", source, present: true });
    }
  }
  for (const [id, profile] of Object.entries(config.auth.profiles)) {
    const { source, key } = secretSource(id, profile, file);
    const where = source.kind === "env" ? `env ${source.name}` : "credentials.json";
    rows.push({
      id,
      provider: profile.provider,
      mode: profile.mode,
      source: where,
      present: key !== undefined,
    });
  }
  for (const id of Object.keys(file)) {
    if (Object.hasOwn(config.auth.profiles, id)) continue;
    const provider = id.slice(0, id.indexOf(":"));
    rows.push({ id, provider, mode: "api_key", source: "credentials.json", present: true, unused: true });
  }
  return rows;
}
