// `status`: Keel's own summary of the running gateway (documented shape below).
import { type TSchema, Type } from "@sinclair/typebox";
import { providerAvailability } from "../models/availability.js";
import type { Cooldowns } from "../models/cooldowns.js";
import type { ModelRegistry } from "../models/registry.js";
import { configWarnings } from "../models/warnings.js";
import { hasScope } from "../protocol/scopes.js";
import { sqliteDriverName } from "../sessions/driver.js";
import type { Config } from "../config/schema.js";
import type { StartupSteps } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import type { RunService } from "../runs/service.js";
import type { ConfigFileInfo, ConnectionsView, GatewayInfo } from "./context.js";
import { defineMethod, type MethodDef } from "./registry.js";

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
  /** The gateway's cooldowns, once the runs are built. */
  cooldowns?: Cooldowns | undefined;
}

/**
 * Result: `{version, pid, node, startedAt, uptimeMs, bind, host, port, authMode,
 * connections: {count, max, bufferedBytes}, subsystems, startup: {phase, steps[]}, memory,
 * runs: {active, finished, ended, limit}, sessions: {driver}, cooldowns: [{scope, provider,
 * credential?, model?, endpoint?, state, kind, until}], providers: as in `health`}` (once
 * startup is done), `config: {hash, effectiveHash, lastReload: {at, ok, trigger, problems[]},
 * pendingRestart[], startedOnLastGood?}` and `warnings: string[]` (as in `health`); callers with
 * `operator.admin` also get `stateDir` and `configPath` (paths are for the machine's owner).
 */
export const status = defineMethod({
  name: "status",
  scope: "operator.read",
  params: Type.Object(
    {
      // Sent by the reference CLI (`status`, `status --json`). Accepted and ignored: Keel has no
      // channels to summarize, and its status has no separate CLI projection.
      includeChannelSummary: Type.Optional(Type.Boolean()),
      includeCliProjection: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  handler: (ctx: StatusDeps, _params, caller) => {
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
      out["sessions"] = { driver: sqliteDriverName() };
      out["cooldowns"] = ctx.cooldowns?.view() ?? [];
      out["providers"] = providerAvailability(ctx.models, ctx.cooldowns);
    }
    if (hasScope(caller.scopes, "operator.admin")) {
      out["stateDir"] = ctx.gateway.stateDir;
      out["configPath"] = ctx.configFile.path ?? null;
    }
    return out;
  },
});

export const statusMethods: MethodDef<TSchema, StatusDeps>[] = [status];
