// Builds the hello-ok payload (spec §1.5) with only the reference's closed field names.
import { attachmentBudget } from "../methods/attachments.js";
import type { GatewayContext } from "../methods/index.js";
import { MAX_IMAGE_BYTES } from "../models/images.js";
import { type HelloOk, PROTOCOL_VERSION, SERVER_CAPABILITIES } from "../protocol/frames.js";
import type { Connection } from "./connection.js";
import type { Connections } from "./connections.js";

export interface HelloSources {
  ctx: GatewayContext;
  connections: Connections;
  methods: () => string[];
  events: () => string[];
}

/** The answer to a successful `connect`. */
export function buildHello(conn: Connection, src: HelloSources): HelloOk {
  const { ctx } = src;
  const identity = conn.identity!;
  const { gateway, agents, session } = ctx.config;
  const defaultAgentId = agents.defaultId;
  return {
    type: "hello-ok",
    protocol: PROTOCOL_VERSION,
    server: { version: ctx.gateway.version, connId: conn.id },
    features: { methods: src.methods(), events: src.events(), capabilities: [...SERVER_CAPABILITIES] },
    snapshot: {
      presence: src.connections.presenceSnapshot(),
      health: ctx.health.wireSnapshot(),
      stateVersion: src.connections.stateVersion(),
      uptimeMs: Date.now() - ctx.gateway.startedAt,
      sessionDefaults: {
        defaultAgentId,
        mainKey: session.mainKey,
        mainSessionKey: `agent:${defaultAgentId}:${session.mainKey}`,
      },
      authMode: ctx.gateway.authMode,
    },
    auth: { role: identity.role, scopes: [...identity.scopes], method: ctx.gateway.authMode },
    policy: {
      maxPayload: gateway.maxPayload,
      maxBufferedBytes: gateway.maxBufferedBytes,
      tickIntervalMs: gateway.tickIntervalMs,
      attachments: {
        maxBytes: attachmentBudget(agents.defaults.mediaMaxMb, gateway.maxPayload),
        maxImageBytes: MAX_IMAGE_BYTES,
      },
    },
  };
}
