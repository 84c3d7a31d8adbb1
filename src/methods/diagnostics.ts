// diagnostics.stability: the gateway's own recent diagnostic events and figures, in the reference's
// shape (generatedAt, capacity, count, dropped, firstSeq, lastSeq, events[], summary), plus what is live now.
import { Type } from "@sinclair/typebox";
import type { StabilityReport } from "../lifecycle/stability.js";
import type { RunService } from "../runs/service.js";
import type { ConnectionsView, HealthSource } from "./context.js";
import { defineMethod } from "./registry.js";

/** What diagnostics.stability reads. */
export interface DiagnosticsDeps {
  stability: {
    readonly capacity: number;
    report(options: { limit?: number; type?: string }): StabilityReport;
  };
  health: HealthSource;
  connections: ConnectionsView;
  /** Undefined until the run service is built (startup). */
  liveRuns: Pick<RunService, "stats"> | undefined;
}

export const diagnosticsStability = defineMethod({
  name: "diagnostics.stability",
  scope: "operator.read",
  params: Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
      type: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    },
    { additionalProperties: false },
  ),
  handler: (ctx: DiagnosticsDeps, p) => {
    const report = ctx.stability.report({
      ...(p.limit === undefined ? {} : { limit: p.limit }),
      ...(p.type === undefined ? {} : { type: p.type }),
    });
    const { eventLoop, memory } = ctx.health.snapshot();
    const runs = ctx.liveRuns?.stats();
    // Samples are periodic; these are the figures at the moment of asking (Keel's own fields).
    const live = {
      eventLoop,
      memory,
      runs: { active: runs?.active ?? 0, finished: runs?.finished ?? 0 },
      connections: { open: ctx.connections.count(), max: ctx.connections.max },
    };
    return { ...report, summary: { ...report.summary, live } };
  },
});

export const diagnosticsMethods = [diagnosticsStability];
