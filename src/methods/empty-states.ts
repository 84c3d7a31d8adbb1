// Features Keel does not have yet — channels, cron, nodes, device pairing, heartbeats — answered in
// the reference's shape for "none configured", so clients show "nothing there" instead of failing.
import { createHash } from "node:crypto";
import { Type } from "@sinclair/typebox";
import type { HealthSource } from "./context.js";
import { defineMethod } from "./registry.js";

/** What these need: only the event-loop figures channels.status carries. */
export interface EmptyStateDeps {
  health: HealthSource;
}

const Empty = Type.Object({}, { additionalProperties: false });
const Limit = Type.Integer({ minimum: 1, maximum: 1_000 });
const Offset = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });

/** No messaging channels: empty maps and lists, plus the gateway's real event-loop figures. */
export const channelsStatus = defineMethod({
  name: "channels.status",
  scope: "operator.read",
  params: Type.Object(
    {
      probe: Type.Optional(Type.Boolean()),
      timeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    },
    { additionalProperties: false },
  ),
  handler: (ctx: EmptyStateDeps) => ({
    ts: Date.now(),
    channelOrder: [],
    channelLabels: {},
    channelDetailLabels: {},
    channelSystemImages: {},
    channelMeta: [],
    eventLoop: ctx.health.snapshot().eventLoop,
    channels: {},
    channelAccounts: {},
    channelDefaultAccountId: {},
    statusIssues: [],
  }),
});

/** No scheduler: disabled, no jobs, nothing to wake for. */
export const cronStatus = defineMethod({
  name: "cron.status",
  scope: "operator.read",
  params: Empty,
  handler: () => ({
    enabled: false,
    triggersEnabled: false,
    storage: "none",
    storePath: null,
    sqlitePath: null,
    jobs: 0,
    nextWakeAtMs: null,
  }),
});

/** The empty job list, paged as the reference pages it; the revision is the hash of that list. */
export const cronList = defineMethod({
  name: "cron.list",
  scope: "operator.read",
  params: Type.Object(
    {
      includeDisabled: Type.Optional(Type.Boolean()),
      limit: Type.Optional(Limit),
      offset: Type.Optional(Offset),
      query: Type.Optional(Type.String({ maxLength: 512 })),
      enabled: Type.Optional(Type.String({ maxLength: 16 })),
      sortBy: Type.Optional(Type.String({ maxLength: 32 })),
      sortDir: Type.Optional(Type.String({ maxLength: 8 })),
    },
    { additionalProperties: false },
  ),
  handler: (_ctx: unknown, p) => {
    const jobs: unknown[] = [];
    const revision = createHash("sha256").update(JSON.stringify(jobs)).digest("base64url");
    return {
      jobs,
      snapshotRevision: `sha256:${revision}`,
      total: 0,
      offset: p.offset ?? 0,
      limit: p.limit ?? 200,
      hasMore: false,
      nextOffset: null,
      deliveryPreviews: {},
    };
  },
});

/** No paired nodes. */
export const nodeList = defineMethod({
  name: "node.list",
  scope: "operator.read",
  params: Empty,
  handler: () => ({ ts: Date.now(), nodes: [] }),
});

/** No devices are paired or waiting: Keel authenticates by the shared secret (devices are tier 2). */
export const devicePairList = defineMethod({
  name: "device.pair.list",
  scope: "operator.pairing",
  params: Empty,
  handler: () => ({ pending: [], paired: [] }),
});

/** No heartbeat has ever run: the reference answers `null` until the first one. */
export const lastHeartbeat = defineMethod({
  name: "last-heartbeat",
  scope: "operator.read",
  params: Empty,
  handler: () => null,
});

export const emptyStateMethods = [
  channelsStatus,
  cronStatus,
  cronList,
  nodeList,
  devicePairList,
  lastHeartbeat,
];
