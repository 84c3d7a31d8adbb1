// `status`: Keel's own summary of the running gateway (documented shape below).
import { type TSchema, Type } from "@sinclair/typebox";
import { configWarnings } from "../models/warnings.js";
import { hasScope } from "../protocol/scopes.js";
import { sqliteDriverName } from "../sessions/driver.js";
import type { GatewayContext } from "./context.js";
import { defineMethod, type MethodDef } from "./registry.js";

/**
 * Result: `{version, pid, node, startedAt, uptimeMs, bind, host, port, authMode,
 * connections: {count, max}, subsystems, startup: {phase, steps[]}, memory,
 * runs: {active, finished, ended, limit}, sessions: {driver}}` (once startup is done), and
 * `warnings: string[]` (as in `health`); callers with
 * `operator.admin` also get `stateDir` and `configPath` (paths are for the machine's owner).
 */
export const status = defineMethod({
  name: "status",
  scope: "operator.read",
  params: Type.Object({}, { additionalProperties: false }),
  handler: (ctx: GatewayContext, _params, caller) => {
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    const out: Record<string, unknown> = {
      version: ctx.version,
      pid: process.pid,
      node: process.version,
      startedAt: ctx.startedAt,
      uptimeMs: Date.now() - ctx.startedAt,
      bind: ctx.listener.bind,
      host: ctx.listener.host,
      port: ctx.listener.port,
      authMode: ctx.authMode,
      connections: { count: ctx.connections.count(), max: ctx.connections.max },
      subsystems: ctx.subsystems.snapshot(),
      startup: { phase: ctx.startup.phase, steps: ctx.startup.status.map((s) => ({ ...s })) },
      memory: { rss, heapUsed, heapTotal, external },
      warnings: configWarnings(ctx.config),
    };
    if (ctx.startup.phase === "ready") {
      const reg = ctx.engine.registry;
      out["runs"] = {
        active: reg.runs.size,
        finished: reg.finished.size,
        ended: reg.endedCount,
        limit: ctx.config.runs.maxConcurrent,
      };
      out["sessions"] = { driver: sqliteDriverName() };
    }
    if (hasScope(caller.scopes, "operator.admin")) {
      out["stateDir"] = ctx.stateDir;
      out["configPath"] = ctx.configPath ?? null;
    }
    return out;
  },
});

export const statusMethods: MethodDef<TSchema, GatewayContext>[] = [status];
