// Builds the protocol side of the gateway around one GatewayContext: method registry, health
// cache, connections and the WebSocket listener. Called once, by start().
import { createHash, randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { hostname, release } from "node:os";
import { join } from "node:path";
import type { TSchema } from "@sinclair/typebox";
import type { LoadedConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { type Logger, logDir } from "../lifecycle/logger.js";
import type { StartupSteps } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import { agentRunMethods } from "../methods/agent.js";
import { agentMethods } from "../methods/agents.js";
import { chatMethods } from "../methods/chat.js";
import { configMethods } from "../methods/config.js";
import type { GatewayContext } from "../methods/context.js";
import { healthMethods } from "../methods/health.js";
import { logsMethods } from "../methods/logs.js";
import { modelsMethods } from "../methods/models.js";
import { presenceMethods } from "../methods/presence.js";
import { type MethodDef, MethodRegistry } from "../methods/registry.js";
import { sessionMethods } from "../methods/sessions.js";
import { statusMethods } from "../methods/status.js";
import { CORE_EVENTS } from "../protocol/frames.js";
import { AuthRateLimiter } from "./auth.js";
import { Connections } from "./connections.js";
import { HealthMonitor } from "./health.js";
import type { Runtime } from "./runtime.js";
import type { GatewaySecret } from "./secret.js";
import { packageVersion } from "./version.js";
import { SocketServer } from "./ws.js";

export interface ProtocolInput {
  config: Config;
  stateDir: string;
  loaded:
    (Pick<LoadedConfig, "sections" | "hash" | "path"> & Partial<Pick<LoadedConfig, "exists">>) | undefined;
  methods: readonly MethodDef<TSchema, GatewayContext>[];
  events: readonly string[];
  pingIntervalMs: number | undefined;
  server: Server;
  secret: GatewaySecret;
  logger: Logger;
  startedAt: number;
  startup: StartupSteps;
  subsystems: Subsystems;
  host: string;
  runtime: Runtime;
}

/** Builds the method registry, health cache, connections and WebSocket layer around one context. */
export function buildProtocol(input: ProtocolInput) {
  const { config, stateDir, loaded, server, secret, logger, startedAt, startup, subsystems, host, runtime } =
    input;
  const version = packageVersion();
  const bootId = randomUUID();
  const registry = new MethodRegistry<GatewayContext>()
    .register([...healthMethods, ...statusMethods, ...presenceMethods, ...logsMethods, ...configMethods])
    .register([...sessionMethods, ...agentMethods, ...chatMethods, ...agentRunMethods, ...modelsMethods])
    .register(input.methods)
    .declareEvents([...CORE_EVENTS, "chat", "agent", "sessions.changed", ...input.events]);
  // Late-bound: the health monitor's refresh callback needs the socket server built after it.
  let sockets: SocketServer | undefined;
  const health = new HealthMonitor({
    startedAt,
    startup,
    subsystems,
    defaultAgentId: () => config.agents.defaultId,
    refreshMs: config.gateway.healthRefreshMs,
    onRefresh: () => sockets?.healthChanged(),
  });
  const connections = new Connections({
    max: config.gateway.maxConnections,
    healthVersion: () => health.version,
    self: () => ({
      ts: startedAt,
      host: hostname(),
      version,
      platform: `${process.platform} ${release()}`,
      mode: "gateway",
      reason: "self",
      instanceId: bootId,
    }),
  });
  const issues = Object.values(loaded?.sections ?? {}).flatMap((s) => s.problems);
  const context: GatewayContext = {
    config,
    configPath: loaded?.path,
    configExists: loaded?.exists ?? loaded !== undefined,
    configHash: loaded?.hash ?? createHash("sha256").update(JSON.stringify(config)).digest("hex"),
    configIssues: issues,
    stateDir,
    logFile: join(logDir(stateDir), "keel.log"),
    logger,
    version,
    startedAt,
    startup,
    subsystems,
    listener: { host, port: 0, bind: config.gateway.bind },
    authMode: secret.mode,
    connections,
    events: connections,
    health,
    get store() {
      return runtime.store;
    },
    get engine() {
      return runtime.engine;
    },
    get models() {
      return runtime.models;
    },
    activeRuns: (key) => runtime.activeRuns(key),
    inFlightRun: (key) => runtime.inFlightRun(key),
  };
  sockets = new SocketServer({
    server,
    ctx: context,
    registry,
    connections,
    secret,
    limiter: new AuthRateLimiter(config.gateway.auth.rateLimit),
    logger,
    ready: () => startup.phase === "ready",
    pingIntervalMs: input.pingIntervalMs ?? config.gateway.pingIntervalMs,
    maxInFlight: config.gateway.maxInFlightPerConnection,
  });
  return { context, registry, sockets, health };
}
