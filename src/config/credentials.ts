// Profile secrets: the environment variable a profile's keyEnv names, else <state>/credentials.json (0600).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { AuthConfig } from "./schema.js";

type Env = Record<string, string | undefined>;

/** Where one profile's key was found: `env NAME` or the credentials file. */
export type SecretSource = { kind: "env"; name: string } | { kind: "file" };

export interface ProfileSecret {
  key: string;
  source: SecretSource;
}

/**
 * What the gateway resolved at start: the key of each profile that has one, and one line per
 * profile that has none (it is left out of its provider's credentials; the line says how to fix it).
 */
export interface ProfileSecrets {
  keys: ReadonlyMap<string, ProfileSecret>;
  warnings: readonly string[];
}

/** No profile secrets at all (a gateway started without auth profiles, tests). */
export const NO_PROFILE_SECRETS: ProfileSecrets = { keys: new Map(), warnings: [] };

/** `<state>/credentials.json`: profile id → {key}, written only by `keel auth add`. */
export function credentialsPath(stateDir: string): string {
  return join(stateDir, "credentials.json");
}

interface CredentialsFile {
  version: 1;
  profiles: Record<string, { key: string; addedAt?: string }>;
}

/**
 * Reads the credentials file. A missing file is empty. A file others can read is still used (the
 * gateway must not lose its keys over a chmod) but warned about, as ssh does for its keys.
 */
export function readCredentialsFile(stateDir: string): {
  profiles: Record<string, string>;
  warnings: string[];
} {
  const path = credentialsPath(stateDir);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { profiles: {}, warnings: [] };
    return {
      profiles: {},
      warnings: [`${path}: cannot read (${(err as Error).message}); its keys are not used`],
    };
  }
  const warnings: string[] = [];
  if ((statSync(path).mode & 0o077) !== 0) {
    warnings.push(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  const parsed = parseFile(text);
  if (!parsed)
    return { profiles: {}, warnings: [...warnings, `${path}: not a Keel credentials file; ignored`] };
  const profiles: Record<string, string> = {};
  for (const [id, entry] of Object.entries(parsed.profiles)) profiles[id] = entry.key;
  return { profiles, warnings };
}

function parseFile(text: string): CredentialsFile | undefined {
  try {
    const v = JSON.parse(text) as Partial<CredentialsFile>;
    if (v === null || typeof v !== "object" || typeof v.profiles !== "object" || v.profiles === null)
      return undefined;
    const ok = Object.values(v.profiles).every((e) => typeof e?.key === "string" && e.key.length > 0);
    return ok ? (v as CredentialsFile) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stores one profile's key (replacing an earlier one), crash-safe: a temp file created 0600,
 * fsynced, renamed over the old one — a reader sees the previous file or the next, never a torn
 * one, and the key is never on disk with wider permissions. Returns whether a key was replaced.
 */
export function writeCredential(stateDir: string, profileId: string, key: string, now = new Date()): boolean {
  const path = credentialsPath(stateDir);
  let current: CredentialsFile = { version: 1, profiles: {} };
  try {
    const parsed = parseFile(readFileSync(path, "utf8"));
    if (!parsed) throw new Error(`${path} is not a Keel credentials file; move it away first`);
    current = parsed;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const replaced = Object.hasOwn(current.profiles, profileId);
  current.profiles[profileId] = { key, addedAt: now.toISOString() };
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(current, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return replaced;
}

/** Where a profile's key comes from, and whether it is there (for `keel auth list` and startup). */
export function secretSource(
  profileId: string,
  profile: { keyEnv?: string | undefined },
  file: Readonly<Record<string, string>>,
  env: Env = process.env,
): { source: SecretSource; key: string | undefined } {
  if (profile.keyEnv !== undefined) {
    const v = env[profile.keyEnv];
    return {
      source: { kind: "env", name: profile.keyEnv },
      key: v === undefined || v === "" ? undefined : v,
    };
  }
  return { source: { kind: "file" }, key: file[profileId] };
}

/**
 * Resolves every configured profile's key: from the environment variable its keyEnv names (read
 * here, in config/, like every env read), else from the credentials file. A profile without a key
 * is a warning, not a config error: the gateway runs on with its other credentials.
 */
export function loadProfileSecrets(
  auth: Pick<AuthConfig, "profiles">,
  options: { stateDir: string; env?: Env },
): ProfileSecrets {
  const env = options.env ?? process.env;
  const ids = Object.keys(auth.profiles);
  if (ids.length === 0) return NO_PROFILE_SECRETS;
  const file = readCredentialsFile(options.stateDir);
  const keys = new Map<string, ProfileSecret>();
  const warnings = [...file.warnings];
  for (const id of ids) {
    const { source, key } = secretSource(id, auth.profiles[id]!, file.profiles, env);
    if (key !== undefined) keys.set(id, { key, source });
    else warnings.push(missingKeyMessage(id, source));
  }
  return { keys, warnings };
}

/** What to do about a profile that has no key. */
export function missingKeyMessage(id: string, source: SecretSource): string {
  return source.kind === "env"
    ? `auth profile "${id}": environment variable ${source.name} (its keyEnv) is not set; the profile is not used`
    : `auth profile "${id}" has no key: run \`keel auth add ${id}\` (or set its keyEnv); the profile is not used`;
}

/** One environment variable of this process (`keel auth add --key-env NAME`): env reads stay in config/. */
export function envValue(name: string, env: Env = process.env): string | undefined {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
}
