// The hooks section beyond its schema: the checks that need more than one key, the template
// grammar, and the subsystem state the seed rule (stability §3) derives from a loaded config.
import type { ConfigProblem, SectionResult } from "./load.js";
import { type AgentsConfig, type Config, type HooksConfig, MODEL_REF_OR_ALIAS } from "./schema.js";
import { BUILTIN_HOOK_NAMES } from "./schema-hooks.js";

/**
 * What the hooks subsystem is for a loaded config: off, ready, or disabled with the reason and
 * the path its routes answer 503 on (the configured one when that much was valid).
 */
export type HooksState =
  { state: "off" } | { state: "ready" } | { state: "disabled"; reason: string; path: string };

const DEFAULT_PATH = "/hooks";
const PATH_PATTERN = /^\/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$/;

/**
 * Prefixes of sessions the gateway itself creates (subagents, cron, ACP, webhooks). Here, below
 * sessions/, because the config checks keys against them too; sessions/keys.ts re-exports it.
 */
export const RESERVED_SESSION_PREFIXES = ["subagent:", "cron:", "acp:", "hook:"] as const;
/** The one reserved prefix hooks may create sessions under. */
export const HOOK_KEY_PREFIX = "hook:";

const MODEL_REF = new RegExp(MODEL_REF_OR_ALIAS);
/** `{{ expr }}` in a template. */
const EXPR = /\{\{\s*([^{}]*?)\s*\}\}/g;
/** `body`, `body.a.b`, `body.items[0].name`, `headers.x-github-event`. */
const PATH = /^(body)((?:\.[A-Za-z0-9_$-]+|\[[0-9]+\])*)$|^headers\.([A-Za-z0-9!#$%&'*+.^_`|~-]+)$/;

/** One piece of a parsed template: literal text, or a lookup in the request. */
export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "body"; path: (string | number)[] }
  | { kind: "header"; name: string };

/** Parses a template; `problem` says what is wrong with it when it cannot be parsed. */
export function parseTemplate(template: string): { parts: TemplatePart[]; problem?: string } {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of template.matchAll(EXPR)) {
    if (m.index > last) parts.push({ kind: "text", text: template.slice(last, m.index) });
    last = m.index + m[0].length;
    const expr = m[1] ?? "";
    const p = PATH.exec(expr);
    if (!p)
      return {
        parts,
        problem: `unknown expression {{${expr.slice(0, 60)}}} (use body.<path> or headers.<name>)`,
      };
    if (p[3] !== undefined) parts.push({ kind: "header", name: p[3].toLowerCase() });
    else parts.push({ kind: "body", path: segments(p[2] ?? "") });
  }
  const rest = template.slice(last);
  if (rest.includes("{{")) return { parts, problem: "unclosed {{" };
  if (rest) parts.push({ kind: "text", text: rest });
  return { parts };
}

function segments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/\.([^.[]+)|\[([0-9]+)\]/g)) out.push(m[1] ?? Number(m[2]));
  return out;
}

function isTemplated(text: string): boolean {
  return text.includes("{{");
}

function reservedProblem(key: string): string | undefined {
  const rest = /^agent:[^:]+:(.+)$/.exec(key)?.[1] ?? key;
  const prefix = RESERVED_SESSION_PREFIXES.find((p) => rest.startsWith(p));
  return prefix && prefix !== HOOK_KEY_PREFIX
    ? `session key ${key.slice(0, 60)} uses the reserved prefix ${prefix} (hooks may create only hook: keys)`
    : undefined;
}

/**
 * Problems of a schema-valid hooks section: enabled without a token, a path that is not one
 * clean prefix, caller-chosen keys without an allowlist, and each mapping (its name, template,
 * session key and agent). `agents` is checked only when given (its section is valid).
 */
export function hooksProblems(hooks: HooksConfig, agents: AgentsConfig | undefined): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (hooks.enabled && !hooks.token) {
    out.push({ path: "hooks.token", message: "must be set when hooks.enabled is true" });
  }
  if (hooks.path.includes("//"))
    out.push({ path: "hooks.path", message: "must not contain an empty segment" });
  if (hooks.allowRequestSessionKey && hooks.allowedSessionKeyPrefixes.length === 0) {
    out.push({
      path: "hooks.allowedSessionKeyPrefixes",
      message: "must list at least one prefix when allowRequestSessionKey is true",
    });
  }
  hooks.allowedSessionKeyPrefixes.forEach((p, i) => {
    const bad = reservedProblem(p);
    if (bad) out.push({ path: `hooks.allowedSessionKeyPrefixes.${i}`, message: bad });
  });
  if (hooks.defaultSessionKey !== undefined) {
    const bad = isTemplated(hooks.defaultSessionKey)
      ? "must not be a template"
      : reservedProblem(hooks.defaultSessionKey);
    if (bad) out.push({ path: "hooks.defaultSessionKey", message: bad });
  }
  const known = agents ? new Set(["main", agents.defaultId, ...Object.keys(agents.entries)]) : undefined;
  const allowed = hooks.allowedAgentIds;
  allowed.forEach((id, i) => {
    if (known && !known.has(id))
      out.push({ path: `hooks.allowedAgentIds.${i}`, message: `unknown agent id ${id}` });
  });
  const seen = new Set<string>();
  hooks.mappings.forEach((m, i) => {
    const at = `hooks.mappings.${i}`;
    if ((BUILTIN_HOOK_NAMES as readonly string[]).includes(m.name)) {
      out.push({ path: `${at}.name`, message: `${m.name} is a built-in endpoint` });
    } else if (seen.has(m.name))
      out.push({ path: `${at}.name`, message: `duplicate mapping name ${m.name}` });
    seen.add(m.name);
    const template = parseTemplate(m.messageTemplate);
    if (template.problem) out.push({ path: `${at}.messageTemplate`, message: template.problem });
    if (m.sessionKey !== undefined) out.push(...mappingKeyProblems(hooks, m.sessionKey, `${at}.sessionKey`));
    if (m.model !== undefined && !MODEL_REF.test(m.model)) {
      out.push({ path: `${at}.model`, message: 'must be "provider/model" or an alias' });
    }
    if (m.agentId !== undefined) {
      if (known && !known.has(m.agentId))
        out.push({ path: `${at}.agentId`, message: `unknown agent id ${m.agentId}` });
      else if (allowed.length > 0 && !allowed.includes(m.agentId)) {
        out.push({ path: `${at}.agentId`, message: `${m.agentId} is not in hooks.allowedAgentIds` });
      }
    }
  });
  return out;
}

function mappingKeyProblems(hooks: HooksConfig, key: string, path: string): ConfigProblem[] {
  if (!isTemplated(key)) {
    const bad = reservedProblem(key);
    return bad ? [{ path, message: bad }] : [];
  }
  const parsed = parseTemplate(key);
  if (parsed.problem) return [{ path, message: parsed.problem }];
  if (!hooks.allowRequestSessionKey || hooks.allowedSessionKeyPrefixes.length === 0) {
    return [
      {
        path,
        message: "a templated sessionKey needs allowRequestSessionKey and allowedSessionKeyPrefixes",
      },
    ];
  }
  return [];
}

/**
 * The hooks subsystem's state for a config and its hooks section's validation result: an
 * invalid section is `disabled` with every problem's path in the reason (even with enabled
 * false: the operator must hear about it), else `off` or `ready` as `enabled` says. `rawPath`
 * is the file's hooks.path, where the disabled routes answer when it is itself valid.
 */
export function hooksState(
  config: Pick<Config, "hooks">,
  section: SectionResult | undefined,
  rawPath?: unknown,
): HooksState {
  if (section && !section.ok) {
    const usable = typeof rawPath === "string" && PATH_PATTERN.test(rawPath) && !rawPath.includes("//");
    return {
      state: "disabled",
      reason: section.problems.map((p) => `${p.path}: ${p.message}`).join("; "),
      path: usable ? rawPath : DEFAULT_PATH,
    };
  }
  return config.hooks.enabled ? { state: "ready" } : { state: "off" };
}
