// Loading: file (JSON5) → ${VAR} substitution → per-section validation → defaults → env → flags → frozen Config.
// This module (with paths.ts) is the only place that reads process.env.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TSchema } from "@sinclair/typebox";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import JSON5 from "json5";
import { applyEnvProviders } from "./env-providers.js";
import { type HooksState, hooksProblems, hooksState } from "./hooks.js";
import { authProblems, modelRefProblems } from "./refs.js";
import { type Config, ConfigSchema, SECTION_NAMES, SECTIONS, type SectionName } from "./schema.js";
import { trustedProxyProblems } from "./proxies.js";
import { fields } from "./walk.js";

/** Sections whose problems disable that subsystem instead of stopping the gateway. */
export const DEGRADABLE_SECTIONS: readonly SectionName[] = ["hooks"];

export interface ConfigProblem {
  /** Dotted path of the offending key, e.g. `gateway.port`. */
  path: string;
  message: string;
}

export interface SectionResult {
  ok: boolean;
  problems: ConfigProblem[];
}

export interface LoadedConfig {
  config: Config;
  /** Validation result per section: the seam that lets a bad `hooks` section degrade alone. */
  sections: Record<SectionName, SectionResult>;
  /**
   * The hooks subsystem this config gives (stability §3): `disabled` with every problem's path
   * when the hooks section is invalid (the config then carries the hooks defaults), else `off`
   * or `ready`. Startup and every reload report it the same way, since both call this loader.
   */
  hooks: HooksState;
  /** Env values ignored or clamped, one line each (logged once by the caller). */
  warnings: string[];
  path: string;
  exists: boolean;
  /** sha256 of the effective config (config.get's `effectiveHash`). */
  hash: string;
  /** sha256 of the file's bytes (of no bytes when it is missing): what config.patch's baseHash guards. */
  fileHash: string;
  /** Provider ids configured from the environment (OPENAI_API_KEY …) because the config named none. */
  envProviders: string[];
}

/** Every problem in one error, each with its path; the CLI exits 78 on it. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  readonly file: string;
  constructor(file: string, problems: ConfigProblem[]) {
    super(`invalid config (${file}):\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
    this.file = file;
    this.problems = problems;
  }
}

export interface LoadOptions {
  /** Config file path (resolved by paths.ts). A missing file means defaults. */
  path: string;
  env?: Record<string, string | undefined>;
  /** Flag overrides by dotted path (`gateway.port`); they win over env and file. */
  flags?: Record<string, unknown>;
  /** Raw config object instead of reading `path` (tests). */
  raw?: unknown;
  /** The file's text instead of reading `path` (an edit checked before it is written, the last good copy). */
  text?: string;
}

/** sha256 (hex) of a config file's bytes. */
export function fileHash(bytes: string | Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Loads, validates and freezes the config. Throws ConfigError listing every fatal problem. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const { raw, exists, bytesHash } = readRaw(options);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(options.path, [{ path: "(root)", message: "must be an object" }]);
  }
  const tree = substituteEnv(structuredClone(raw) as Record<string, unknown>, env, problems, []);
  delete tree["$schema"];
  // Before validation, so a provider made from OPENAI_API_KEY is checked and defaulted like any other.
  const envProviders = applyEnvProviders(tree, env);
  for (const key of Object.keys(tree)) {
    if (!(key in SECTIONS))
      problems.push({ path: key, message: `unknown key (sections: ${SECTION_NAMES.join(", ")})` });
  }

  const sections = {} as Record<SectionName, SectionResult>;
  const built: Record<string, unknown> = {};
  for (const name of SECTION_NAMES) {
    const schema = SECTIONS[name];
    const value = Value.Default(schema, structuredClone(tree[name] ?? {}));
    const own = problems.filter((p) => p.path === name || p.path.startsWith(`${name}.`));
    // A key whose ${VAR} failed already has its problem; its schema error would only repeat it.
    own.push(...schemaProblems(schema, value, name).filter((p) => !own.some((o) => o.path === p.path)));
    sections[name] = { ok: own.length === 0, problems: own };
    // A degradable section that fails falls back to its defaults (its subsystem reports "disabled").
    built[name] = own.length === 0 ? value : Value.Default(schema, {});
  }
  degradeHooks(built, sections);
  const fatal = SECTION_NAMES.filter((n) => !DEGRADABLE_SECTIONS.includes(n)).flatMap(
    (n) => sections[n].problems,
  );
  fatal.push(
    ...problems.filter((p) => !SECTION_NAMES.some((n) => p.path === n || p.path.startsWith(`${n}.`))),
  );
  fatal.push(...crossSectionProblems(built, sections));
  if (fatal.length > 0) throw new ConfigError(options.path, fatal);

  const warnings = applyEnv(built, env);
  for (const [path, value] of Object.entries(options.flags ?? {})) {
    if (value !== undefined) setPath(built, path.split("."), value);
  }
  const flagProblems = schemaProblems(ConfigSchema, built, "");
  if (flagProblems.length > 0) throw new ConfigError(options.path, flagProblems);

  const config = deepFreeze(built as Config);
  const hash = createHash("sha256").update(JSON.stringify(config)).digest("hex");
  const rawHooks = tree["hooks"] as Record<string, unknown> | undefined;
  const hooks = hooksState(config, sections.hooks, rawHooks?.["path"]);
  HOOKS_STATE.set(config, hooks);
  return {
    config,
    sections,
    warnings,
    path: options.path,
    exists,
    hash,
    fileHash: bytesHash,
    envProviders,
    hooks,
  };
}

/** The parsed file (or the given text or object) and the hash of its bytes. */
function readRaw(options: LoadOptions): { raw: unknown; exists: boolean; bytesHash: string } {
  if (options.raw !== undefined) {
    return { raw: options.raw, exists: true, bytesHash: fileHash(JSON.stringify(options.raw)) };
  }
  let text = options.text;
  let bytesHash = text === undefined ? "" : fileHash(text);
  if (text === undefined) {
    try {
      const bytes = readFileSync(options.path);
      bytesHash = fileHash(bytes);
      text = bytes.toString("utf8");
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT") return { raw: {}, exists: false, bytesHash: fileHash("") };
      throw new ConfigError(options.path, [{ path: "(file)", message: `cannot read: ${e.message}` }]);
    }
  }
  try {
    return { raw: JSON5.parse(text), exists: true, bytesHash };
  } catch (err) {
    const message = `not valid JSON5: ${(err as Error).message}`;
    throw new ConfigError(options.path, [{ path: "(file)", message }]);
  }
}

/** The hooks state of each config this loader made, keyed by the frozen object itself. */
const HOOKS_STATE = new WeakMap<Config, HooksState>();

/**
 * The hooks state of a config: what loadConfig decided for it, so whoever holds only the config
 * (the live source after a reload's swap) reaches the same verdict; computed from `enabled`
 * for a config that did not come from the loader.
 */
export function hooksStateOf(config: Config): HooksState {
  return HOOKS_STATE.get(config) ?? hooksState(config, undefined);
}

/** Gives `to` (a config built from `from`, e.g. with restart keys kept) `from`'s hooks state. */
export function adoptHooksState(from: Config, to: Config): Config {
  if (to !== from) HOOKS_STATE.set(to, hooksStateOf(from));
  return to;
}

/**
 * The hooks checks that need more than the schema (a token when enabled, mapping templates and
 * keys, agents). Their problems belong to the hooks section alone, so they disable hooks and
 * leave the rest of the config standing.
 */
function degradeHooks(built: Record<string, unknown>, sections: Record<SectionName, SectionResult>): void {
  if (!sections.hooks.ok) return;
  const agents = sections.agents.ok ? (built["agents"] as Config["agents"]) : undefined;
  const problems = hooksProblems(built["hooks"] as Config["hooks"], agents);
  if (problems.length === 0) return;
  sections.hooks = { ok: false, problems };
  built["hooks"] = Value.Default(SECTIONS.hooks, {});
}

/** Checks that span sections, run only when those sections are valid on their own. */
function crossSectionProblems(
  built: Record<string, unknown>,
  sections: Record<SectionName, SectionResult>,
): ConfigProblem[] {
  const out: ConfigProblem[] = sections.gateway.ok
    ? trustedProxyProblems((built["gateway"] as Config["gateway"]).trustedProxies)
    : [];
  if (!sections.models.ok) return out;
  const models = built["models"] as Config["models"];
  if (sections.agents.ok) out.push(...modelRefProblems(built["agents"] as Config["agents"], models));
  if (sections.auth.ok) out.push(...authProblems(built["auth"] as Config["auth"], models));
  return out;
}

function schemaProblems(schema: TSchema, value: unknown, prefix: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const e of Value.Errors(schema, value)) {
    const segs = e.path.split("/").filter(Boolean);
    const path = [prefix, ...segs].filter(Boolean).join(".") || "(root)";
    let message = e.message;
    const options = (e.schema["anyOf"] as TSchema[] | undefined)?.map((s) => s["const"]);
    if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      message = "unknown key";
    } else if (options?.every((o) => typeof o === "string")) {
      message = `must be one of ${options.join(", ")}`;
    } else if (options) {
      message = `must be ${e.schema["description"] ?? "one of the allowed forms"}`;
    }
    // A secret's value is never quoted: a disabled hooks section's reason is served to anyone.
    const quotable = e.schema["secret"] !== true;
    if (quotable && message !== "unknown key" && e.value !== undefined && typeof e.value !== "object") {
      message += ` (got ${JSON.stringify(e.value)})`;
    }
    // Union members repeat the same path; keep the first message for each path.
    if (!out.some((p) => p.path === path)) out.push({ path, message });
  }
  return out;
}

const VAR = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function substituteEnv(
  node: Record<string, unknown> | unknown[],
  env: Record<string, string | undefined>,
  problems: ConfigProblem[],
  path: string[],
): Record<string, unknown> {
  for (const [key, value] of Object.entries(node)) {
    const here = [...path, key];
    if (typeof value === "string") {
      (node as Record<string, unknown>)[key] = value.replace(VAR, (_m, escaped: string, name: string) => {
        if (escaped) return `\${${name}}`;
        const v = env[name];
        if (v === undefined) {
          problems.push({ path: here.join("."), message: `environment variable ${name} is not set` });
          return "";
        }
        return v;
      });
    } else if (value !== null && typeof value === "object") {
      substituteEnv(value as Record<string, unknown>, env, problems, here);
    }
  }
  return node as Record<string, unknown>;
}

/** Applies KEEL_* overrides declared in the schema; returns one warning per ignored or clamped value. */
function applyEnv(tree: Record<string, unknown>, env: Record<string, string | undefined>): string[] {
  const warnings: string[] = [];
  for (const field of fields()) {
    const name = field.schema["env"] as string | undefined;
    const text = name ? env[name] : undefined;
    if (!name || text === undefined || text === "") continue;
    const parsed = parseEnvValue(field.schema, text.trim());
    if (parsed.warning) warnings.push(`${name}=${JSON.stringify(text)}: ${parsed.warning}`);
    if (parsed.value !== undefined) setPath(tree, field.segments, parsed.value);
  }
  return warnings;
}

function parseEnvValue(schema: TSchema, text: string): { value?: unknown; warning?: string } {
  if (schema["type"] === "integer") {
    const min = schema["minimum"] as number;
    const max = schema["maximum"] as number;
    if (!/^-?[0-9]+$/.test(text)) return { warning: "not an integer; ignored" };
    const n = Number(text);
    if (n <= 0 && min > 0) return { warning: "must be a positive integer; ignored" };
    if (n < min) return { value: min, warning: `below the minimum; clamped to ${min}` };
    if (n > max) return { value: max, warning: `above the maximum; clamped to ${max}` };
    return { value: n };
  }
  const literals = (schema["anyOf"] as TSchema[] | undefined)?.map((s) => s["const"] as string);
  if (literals && !literals.includes(text))
    return { warning: `must be one of ${literals.join(", ")}; ignored` };
  return { value: text };
}

function setPath(tree: Record<string, unknown>, segments: string[], value: unknown): void {
  let node = tree;
  for (const seg of segments.slice(0, -1)) {
    if (node[seg] === null || typeof node[seg] !== "object") node[seg] = {};
    node = node[seg] as Record<string, unknown>;
  }
  node[segments[segments.length - 1]!] = value;
}

/** Freezes a config tree in place, all the way down (a loaded Config is immutable). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "30d" → milliseconds. The schema guarantees the format. */
export function parseDuration(text: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`bad duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
