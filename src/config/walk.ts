// Schema walking shared by the loader (env keys), redaction and the README table.
import type { TSchema } from "@sinclair/typebox";
import { ConfigSchema } from "./schema.js";

export interface FieldInfo {
  /** Dotted path; record keys appear as `<id>`, array items as `[]`. */
  path: string;
  segments: string[];
  schema: TSchema;
  /** The key's own `reload` mark, else its nearest enclosing object's (undefined: unmarked). */
  reload: "hot" | "restart" | undefined;
}

/** Every leaf and every record/array of the schema, depth first, in declaration order. */
export function fields(
  schema: TSchema = ConfigSchema,
  prefix: string[] = [],
  inherited?: "hot" | "restart",
): FieldInfo[] {
  const out: FieldInfo[] = [];
  const props = schema["properties"] as Record<string, TSchema> | undefined;
  const reload = (schema["reload"] as "hot" | "restart" | undefined) ?? inherited;
  if (schema["type"] === "object" && props && !schema["patternProperties"]) {
    for (const [key, sub] of Object.entries(props)) {
      const segs = [...prefix, key];
      if (sub["type"] === "object" && sub["properties"] && !sub["patternProperties"])
        out.push(...fields(sub, segs, reload));
      else {
        const own = (sub["reload"] as "hot" | "restart" | undefined) ?? reload;
        out.push({ path: segs.join("."), segments: segs, schema: sub, reload: own });
      }
    }
  }
  return out;
}

/** The sub-schema for one child key of an object/record schema value, if any. */
export function childSchema(schema: TSchema, key: string): TSchema | undefined {
  const props = schema["properties"] as Record<string, TSchema> | undefined;
  if (props?.[key]) return props[key];
  const pattern = schema["patternProperties"] as Record<string, TSchema> | undefined;
  if (pattern) return Object.values(pattern)[0];
  if (schema["type"] === "array") return schema["items"] as TSchema;
  return undefined;
}

/** Calls `visit` for every value in `value` whose schema carries `secret: true`. */
export function visitSecrets(
  value: unknown,
  visit: (holder: Record<string, unknown>, key: string) => void,
  schema: TSchema = ConfigSchema,
): void {
  if (value === null || typeof value !== "object") return;
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  for (const [key, child] of entries) {
    const sub = Array.isArray(value) ? (schema["items"] as TSchema | undefined) : childSchema(schema, key);
    if (!sub) continue;
    if (sub["secret"] === true && typeof child === "string") visit(value as Record<string, unknown>, key);
    else visitSecrets(child, visit, sub);
  }
}

export const REDACTED = "__KEEL_REDACTED__";

/** A deep copy of a config with every secret replaced by a marker. */
export function redactConfig<T>(config: T): T {
  const copy = structuredClone(config) as T;
  visitSecrets(copy, (holder, key) => {
    holder[key] = REDACTED;
  });
  return copy;
}

/** Every secret string in a config (tokens, passwords, API keys), for log redaction. */
export function secretValues(config: unknown): string[] {
  const out: string[] = [];
  visitSecrets(config, (holder, key) => {
    const v = holder[key];
    if (typeof v === "string" && v.length >= 4) out.push(v);
  });
  return out;
}
