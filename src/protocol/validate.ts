// Compiled TypeBox validators whose first error reads like the reference's (ajv-style) messages.
import type { Static, TSchema } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler } from "@sinclair/typebox/compiler";
import { type ValueError, ValueErrorType } from "@sinclair/typebox/errors";
import { clip } from "./errors.js";

/** A compiled schema check: `undefined` when the value is valid, else one printable problem. */
export interface Validator<S extends TSchema> {
  check(value: unknown): value is Static<S>;
  /** The first problem as `at <path>: <message>`, e.g. `at /client: must have required property 'version'`. */
  explain(value: unknown): string | undefined;
  /** The first problem with its JSON pointer path apart (`/messages/0/role`), for surfaces that name the field. */
  problem(value: unknown): { path: string; message: string } | undefined;
}

/**
 * Compiles on first use, then checking a value is a plain function call (no schema walk per
 * frame). Lazy so that importing a module or registering a method family costs no compile
 * time at startup; a method nobody calls is never compiled.
 */
export function compileValidator<S extends TSchema>(schema: S): Validator<S> {
  let compiled: TypeCheck<S> | undefined;
  const get = () => {
    compiled ??= TypeCompiler.Compile(schema);
    return compiled;
  };
  return {
    check: (value): value is Static<S> => get().Check(value),
    explain: (value) => {
      const c = get();
      if (c.Check(value)) return undefined;
      const first = c.Errors(value).First();
      return first ? formatError(first) : "at root: invalid value";
    },
    problem: (value) => {
      const c = get();
      if (c.Check(value)) return undefined;
      const first = c.Errors(value).First();
      return first
        ? { path: first.path, message: formatError(first) }
        : { path: "", message: "at root: invalid value" };
    },
  };
}

/**
 * Formats one TypeBox error the way the reference gateway words its ajv errors, because
 * clients and scripts match on these texts (wire/connect-edge-cases.jsonl): missing and unknown
 * properties are reported at the parent object with the key named.
 */
export function formatError(e: ValueError): string {
  // Keys and paths come from the client: quote only a short prefix of each.
  const segs = e.path.split("/").filter(Boolean);
  const key = clip(segs[segs.length - 1] ?? "");
  const parent = segs.length > 1 ? clip(`/${segs.slice(0, -1).join("/")}`) : "root";
  const at = e.path === "" ? "root" : clip(e.path);
  const s = e.schema as Record<string, unknown>;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `at ${parent}: must have required property '${key}'`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `at ${parent}: unexpected property '${key}'`;
    case ValueErrorType.Union:
      return `at ${at}: must be equal to one of the allowed values`;
    case ValueErrorType.Literal:
      return `at ${at}: must be equal to constant`;
    case ValueErrorType.StringMinLength:
      return `at ${at}: must NOT have fewer than ${s["minLength"]} characters`;
    case ValueErrorType.StringMaxLength:
      return `at ${at}: must NOT have more than ${s["maxLength"]} characters`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `at ${at}: must be >= ${s["minimum"]}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `at ${at}: must be <= ${s["maximum"]}`;
    case ValueErrorType.ArrayMaxItems:
      return `at ${at}: must NOT have more than ${s["maxItems"]} items`;
    case ValueErrorType.Integer:
      return `at ${at}: must be integer`;
    case ValueErrorType.Number:
      return `at ${at}: must be number`;
    case ValueErrorType.String:
      return `at ${at}: must be string`;
    case ValueErrorType.Boolean:
      return `at ${at}: must be boolean`;
    case ValueErrorType.Array:
      return `at ${at}: must be array`;
    case ValueErrorType.Object:
      return `at ${at}: must be object`;
    default:
      return `at ${at}: ${e.message.charAt(0).toLowerCase()}${e.message.slice(1)}`;
  }
}
