// Every method family the gateway serves, and the services object that satisfies all of them.
import type { TSchema } from "@sinclair/typebox";
import { agentRunMethods } from "./agent.js";
import { type AgentMethodsDeps, agentMethods } from "./agents.js";
import { chatMethods, type RunMethodsDeps } from "./chat.js";
import { compactionMethods } from "./compaction.js";
import { type ConfigDeps, configMethods } from "./config.js";
import type { EventBus } from "./context.js";
import { type DiagnosticsDeps, diagnosticsMethods } from "./diagnostics.js";
import { type EmptyStateDeps, emptyStateMethods } from "./empty-states.js";
import { type HealthDeps, healthMethods } from "./health.js";
import { type LogsDeps, logsMethods } from "./logs.js";
import { type ModelsDeps, modelsMethods } from "./models.js";
import { type PresenceDeps, presenceMethods } from "./presence.js";
import type { MethodDef } from "./registry.js";
import { type SessionMethodsDeps, sessionMethods } from "./sessions.js";
import { type StatusDeps, statusMethods } from "./status.js";
import { type UsageDeps, usageMethods } from "./usage.js";
import { type SubscriptionDeps, subscriptionMethods } from "./subscriptions.js";
import { tuiMethods } from "./tui.js";

/**
 * What handlers get as `ctx`: the union of what each family declares it needs. The wiring
 * (server/services.ts) builds one object of this type; a family never sees more than its own part
 * through its handler types.
 */
export type GatewayContext = HealthDeps &
  StatusDeps &
  PresenceDeps &
  LogsDeps &
  ConfigDeps &
  AgentMethodsDeps &
  ModelsDeps &
  SessionMethodsDeps &
  UsageDeps &
  RunMethodsDeps &
  SubscriptionDeps &
  EmptyStateDeps &
  DiagnosticsDeps & { events: EventBus };

/** The core families, in the order hello-ok lists their methods. */
export const CORE_METHODS: readonly MethodDef<TSchema, GatewayContext>[] = [
  ...healthMethods,
  ...statusMethods,
  ...presenceMethods,
  ...logsMethods,
  ...configMethods,
  ...sessionMethods,
  ...compactionMethods,
  ...agentMethods,
  ...chatMethods,
  ...agentRunMethods,
  ...modelsMethods,
  ...usageMethods,
  ...subscriptionMethods,
  ...tuiMethods,
  ...emptyStateMethods,
  ...diagnosticsMethods,
];
