// The services object method handlers receive, and the method registry over every family.
// Called once each, by start().
import { join } from "node:path";
import type { TSchema } from "@sinclair/typebox";
import type { LoadedConfig } from "../config/load.js";
import type { ConfigSource } from "../config/source.js";
import { type Logger, logDir } from "../lifecycle/logger.js";
import type { StartupSteps } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import type { ConfigFileInfo, GatewayInfo, HealthSource } from "../methods/context.js";
import { CORE_METHODS, type GatewayContext } from "../methods/index.js";
import { type MethodDef, MethodRegistry } from "../methods/registry.js";
import { CORE_EVENTS } from "../protocol/frames.js";
import type { StabilityLog } from "../lifecycle/stability.js";
import type { Connections } from "./connections.js";
import type { Runtime } from "./runtime.js";

export type LoadedInfo = Pick<LoadedConfig, "sections" | "hash" | "path"> &
  Partial<Pick<LoadedConfig, "exists" | "fileHash">>;

export interface ServicesInput {
  config: ConfigSource;
  /** The config file behind `config` (its hashes, reload state and writes). */
  configFile: ConfigFileInfo;
  gateway: Omit<GatewayInfo, "logFile">;
  logger: Logger;
  startup: StartupSteps;
  subsystems: Subsystems;
  health: HealthSource;
  connections: Connections;
  runtime: Runtime;
  stability: StabilityLog;
}

/**
 * The one object every family's deps are read from. `config` reads the source at each access,
 * so a handler always sees the current config; the store, runs and models are the runtime's
 * (built by startup steps, answering UNAVAILABLE until then).
 */
export function gatewayServices(input: ServicesInput): GatewayContext {
  const { config, runtime } = input;
  return {
    get config() {
      return config.current();
    },
    configFile: input.configFile,
    gateway: { ...input.gateway, logFile: join(logDir(input.gateway.stateDir), "keel.log") },
    startup: input.startup,
    subsystems: input.subsystems,
    health: input.health,
    connections: input.connections,
    events: input.connections,
    subscriptions: input.connections,
    stability: input.stability,
    get liveRuns() {
      return runtime.runsIfReady;
    },
    get store() {
      return runtime.store;
    },
    get runs() {
      return runtime.runs;
    },
    get models() {
      return runtime.models;
    },
    get cooldowns() {
      return runtime.cooldowns;
    },
  };
}

/** Every method served (the core families plus `extra`) and every event name advertised. */
export function methodRegistry(
  extra: readonly MethodDef<TSchema, GatewayContext>[],
  extraEvents: readonly string[],
): MethodRegistry<GatewayContext> {
  return new MethodRegistry<GatewayContext>()
    .register(CORE_METHODS)
    .register(extra)
    .declareEvents([...CORE_EVENTS, "chat", "agent", "sessions.changed", "session.message", ...extraEvents]);
}
