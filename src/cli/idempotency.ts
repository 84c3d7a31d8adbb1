// Which methods need an idempotencyKey, read off the params schemas the gateway validates against.
import type { TSchema } from "@sinclair/typebox";
import { CORE_METHODS } from "../methods/index.js";

/** Names of the methods whose params schema requires `idempotencyKey` (chat.send, agent, …). */
export function methodsRequiringIdempotencyKey(): ReadonlySet<string> {
  // The gateway's own list: a new family registered there is covered here without an edit.
  return new Set(
    CORE_METHODS.filter((def) => requiredKeys(def.params).includes("idempotencyKey")).map((def) => def.name),
  );
}

function requiredKeys(schema: TSchema): string[] {
  const required = schema["required"];
  return Array.isArray(required) ? (required as string[]) : [];
}
