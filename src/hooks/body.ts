// The bodies of the built-in endpoints, checked at the boundary: every bad field is a 400 naming it.
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import { MODEL_REF_OR_ALIAS } from "../config/schema.js";
import { invalidRequest } from "../protocol/errors.js";

const Id = Type.String({ minLength: 1, maxLength: 64 });

export const WakeBody = Type.Object(
  {
    text: Type.String({ minLength: 1 }),
    agentId: Type.Optional(Id),
    /** Accepted for senders written for the reference; both record the event for the next turn. */
    mode: Type.Optional(Type.Union([Type.Literal("now"), Type.Literal("next-heartbeat")])),
  },
  { additionalProperties: false },
);
export type WakeBody = Static<typeof WakeBody>;

export const AgentBody = Type.Object(
  {
    message: Type.String({ minLength: 1 }),
    /** A label for the sender, shown in the untrusted boundary (`hook:<name>`). */
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    agentId: Type.Optional(Id),
    sessionKey: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    model: Type.Optional(Type.String({ pattern: MODEL_REF_OR_ALIAS })),
    thinking: Type.Optional(Type.String({ maxLength: 32 })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 604_800 })),
    wait: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AgentBody = Static<typeof AgentBody>;

/**
 * `value` checked against `schema`; otherwise `INVALID_REQUEST` (`INVALID_BODY`) naming the
 * first bad field in the message and in `details.field`.
 */
export function checkBody<S extends TSchema>(schema: S, value: unknown, what: string): Static<S> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalidRequest(`invalid ${what} body: (body): must be a JSON object`, {
      code: "INVALID_BODY",
      field: "(body)",
    });
  }
  const first = Value.Errors(schema, value).First();
  if (!first) return value as Static<S>;
  const field = first.path.split("/").filter(Boolean).join(".") || "(body)";
  const message = first.type === ValueErrorType.ObjectAdditionalProperties ? "unknown field" : first.message;
  throw invalidRequest(`invalid ${what} body: ${field}: ${message}`, { code: "INVALID_BODY", field });
}
