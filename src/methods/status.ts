// `status`: Keel's own summary of the running gateway (documented shape below).
import { type TSchema, Type } from "@sinclair/typebox";
import { providerAvailability } from "../models/availability.js";
import type { Cooldowns } from "../models/cooldowns.js";
import type { ModelRegistry } from "../models/registry.js";
import { configWarnings } from "../models/warnings.js";
import { hasScope } from "../protocol/scopes.js";
import { sqliteDriverName } from "../sessions/driver.js";
import { agentIds } from "../sessions/keys.js";
import type { Config } from "../config/schema.js";
import type { StartupSteps } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import type { RunService } from "../runs/service.js";
import type { ConfigFileInfo, ConnectionsView, GatewayInfo } from "./context.js";
import { defineMethod, type MethodDef } from "./registry.js";
import { openStore, sessionsOf, type SummaryStore } from "./session-summary.js";

/** What `status` needs. */
export interface StatusDeps {
  gateway: GatewayInfo;
  config: Config;
  configFile: Pick<ConfigFileInfo, "path" | "state">;
  connections: ConnectionsView;
  startup: StartupSteps;
  subsystems: Subsystems;
  runs: Pick<RunService, "stats">;
  models: ModelRegistry;
  /** The session store (its getter throws until the sessions startup step has opened it). */
  store: SummaryStore;
  /** The gateway's cooldowns, once the runs are built. */
  cooldowns?: Cooldowns | undefined;
}

/**
 * Result: `{version, pid, node, startedAt, uptimeMs, bind, host, port, authMode,
 * connections: {count, max, bufferedBytes}, subsystems, startup: {phase, steps[]}, memory,
 * runs: {active, finished, ended, limit}, sessions: {driver, paths, count, defaults, recent,
 * byAgent}, cooldowns: [{scope, provider,
 * credential?, model?, endpoint?, state, kind, until}], providers: as in `health`}` (once
 * startup is done), `config: {hash, effectiveHash, lastReload: {at, ok, trigger, problems[]},
 * pendingRestart[], startedOnLastGood?}`, the reference's `heartbeat`, `channelSummary`,
 * `queuedSystemEvents`, `degradedSecretOwners`, `degradedPlugins` (all off or empty in Keel),
 * `cliProjection` (with `includeCliProjection`) and
 * `warnings: string[]` (as in `health`); callers with
 * `operator.admin` also get `stateDir` and `configPath` (paths are for the machine's owner).
 */
export const status = defineMethod({
  name: "status",
  scope: "operator.read",
  params: Type.Object(
    {
      // Sent by the reference CLI (`status`, `status --json`). The channel summary is accepted
      // and ignored (Keel has no channels); the CLI projection is the agents as the CLI reads them.
      includeChannelSummary: Type.Optional(Type.Boolean()),
      includeCliProjection: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  handler: async (ctx: StatusDeps, params, caller) => {
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    const out: Record<string, unknown> = {
      version: ctx.gateway.version,
      pid: process.pid,
      node: process.version,
      startedAt: ctx.gateway.startedAt,
      uptimeMs: Date.now() - ctx.gateway.startedAt,
      bind: ctx.gateway.listener.bind,
      host: ctx.gateway.listener.host,
      port: ctx.gateway.listener.port,
      authMode: ctx.gateway.authMode,
      connections: {
        count: ctx.connections.count(),
        max: ctx.connections.max,
        bufferedBytes: ctx.connections.bufferedBytes(),
      },
      subsystems: ctx.subsystems.snapshot(),
      startup: { phase: ctx.startup.phase, steps: ctx.startup.status.map((s) => ({ ...s })) },
      memory: { rss, heapUsed, heapTotal, external },
      config: ctx.configFile.state(),
      warnings: configWarnings(ctx.config),
    };
    if (ctx.startup.phase === "ready") {
      out["runs"] = { ...ctx.runs.stats(), limit: ctx.config.runs.maxConcurrent };
      out["sessions"] = { driver: sqliteDriverName(), ...(await sessionsSection(ctx)) };
      out["cooldowns"] = ctx.cooldowns?.view() ?? [];
      out["providers"] = providerAvailability(ctx.models, ctx.cooldowns);
    }
    Object.assign(out, cliStatusSections(ctx.config));
    if (params.includeCliProjection === true) out["cliProjection"] = cliProjection(ctx.config);
    if (hasScope(caller.scopes, "operator.admin")) {
      out["stateDir"] = ctx.gateway.stateDir;
      out["configPath"] = ctx.configFile.path ?? null;
    }
    return out;
  },
});

/**
 * The store's sessions in the reference's shape: `{paths, count, defaults: {model, contextTokens},
 * recent, byAgent: [{agentId, path, count, recent}]}` (empty while the store is not open).
 */
async function sessionsSection(ctx: StatusDeps) {
  const store = openStore(ctx);
  if (!store) return {};
  const all = await sessionsOf(store, undefined, true);
  const byAgent = await Promise.all(
    agentIds(ctx.config).map(async (agentId) => ({ agentId, ...(await sessionsOf(store, agentId, true)) })),
  );
  const model = ctx.models.agentModel(ctx.config.agents.defaultId)?.primary ?? null;
  return {
    paths: [all.path],
    count: all.count,
    defaults: { model, contextTokens: null },
    recent: all.recent,
    byAgent,
  };
}

/**
 * The reference's status sections the CLI's JSON scan reads, for what Keel has none of: no
 * heartbeats (each agent's is off), channels, queued system events, degraded plugins or tasks.
 */
function cliStatusSections(config: Config) {
  return {
    heartbeat: {
      defaultAgentId: config.agents.defaultId,
      agents: agentIds(config).map((agentId) => ({
        agentId,
        enabled: false,
        every: "disabled",
        everyMs: null,
      })),
    },
    channelSummary: [],
    queuedSystemEvents: [],
    degradedSecretOwners: [],
    degradedPlugins: [],
  };
}

/** What the reference CLI reads when it asks for a CLI projection: the agents and their default. */
function cliProjection(config: Config) {
  return {
    agents: {
      defaultId: config.agents.defaultId,
      ownership: "sole",
      selectionRequired: false,
      rows: agentIds(config).map((id) => ({ id })),
    },
    // Keel has no update channels or memory plugins.
    updateChannel: null,
    memoryPlugin: { enabled: false, slot: null },
  };
}

export const statusMethods: MethodDef<TSchema, StatusDeps>[] = [status];
