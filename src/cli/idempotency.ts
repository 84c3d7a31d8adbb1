// Which methods need an idempotencyKey, read off the params schemas the gateway validates against.
import type { TSchema } from "@sinclair/typebox";
import { agentRunMethods } from "../methods/agent.js";
import { agentMethods } from "../methods/agents.js";
import { chatMethods } from "../methods/chat.js";
import { configMethods } from "../methods/config.js";
import { healthMethods } from "../methods/health.js";
import { logsMethods } from "../methods/logs.js";
import { modelsMethods } from "../methods/models.js";
import { presenceMethods } from "../methods/presence.js";
import { sessionMethods } from "../methods/sessions.js";
import { statusMethods } from "../methods/status.js";

/**
 * The method families this keel serves (the same lists the gateway registers). A test checks
 * the result against a running gateway's registry, so a new family cannot be forgotten here.
 */
const FAMILIES: readonly (readonly { name: string; params: TSchema }[])[] = [
  healthMethods,
  statusMethods,
  presenceMethods,
  logsMethods,
  configMethods,
  sessionMethods,
  agentMethods,
  chatMethods,
  agentRunMethods,
  modelsMethods,
];

let cached: ReadonlySet<string> | undefined;

/** Names of the methods whose params schema requires `idempotencyKey` (chat.send, agent, …). */
export function methodsRequiringIdempotencyKey(): ReadonlySet<string> {
  cached ??= new Set(
    FAMILIES.flat()
      .filter((def) => requiredKeys(def.params).includes("idempotencyKey"))
      .map((def) => def.name),
  );
  return cached;
}

function requiredKeys(schema: TSchema): string[] {
  const required = schema["required"];
  return Array.isArray(required) ? (required as string[]) : [];
}
