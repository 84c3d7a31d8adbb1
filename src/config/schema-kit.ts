// Building blocks of the config schema: typed field helpers with the custom keywords (env,
// secret, reload) the loader, the redaction and the README generator read.
import { type TSchema, Type } from "@sinclair/typebox";

export const KiB = 1024;
export const MiB = 1024 * KiB;

export const int = (def: number, min: number, max: number, description: string, extra: object = {}) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description, ...extra });
export const bool = (def: boolean, description: string) => Type.Boolean({ default: def, description });
export const obj = <T extends Record<string, TSchema>>(props: T, description: string, extra: object = {}) =>
  Type.Object(props, { additionalProperties: false, default: {}, description, ...extra });
export const HOT = { reload: "hot" } as const;
export const RESTART = { reload: "restart" } as const;
export const secret = (description: string, env?: string) =>
  Type.Optional(Type.String({ minLength: 1, secret: true, description, ...(env ? { env } : {}) }));
export const duration = (def: string, description: string) =>
  Type.String({ default: def, pattern: "^[0-9]+(ms|s|m|h|d)$", description });

/** A model alias (agents.defaults.models[ref].alias): no slash, so it never reads as a ref. */
