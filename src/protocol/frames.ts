// Wire frames of protocol v4: request/response/event shapes, connect params, hello-ok, presence.
import { type Static, Type } from "@sinclair/typebox";
import type { ErrorShape } from "./errors.js";

/** The protocol version Keel speaks; probes may still connect with N-1. */
export const PROTOCOL_VERSION = 4;
/** Oldest protocol a `probe`-mode client may use (reported as `minimumProbeProtocol`). */
export const MIN_PROBE_PROTOCOL = 3;
/** Frames before `connect` succeeds are capped here (spec §1.2 `MAX_PREAUTH_PAYLOAD_BYTES`). */
export const MAX_PREAUTH_PAYLOAD_BYTES = 64 * 1024;
/** Close reasons are capped (the WebSocket limit is 123 bytes; the reference uses 120). */
export const MAX_CLOSE_REASON_BYTES = 120;

/** WebSocket close codes used by the gateway (spec §1.6). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  policy: 1008,
  tooBig: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
} as const;

const NonEmpty = Type.String({ minLength: 1 });

export const CLIENT_IDS = [
  "cli",
  "openclaw-tui",
  "openclaw-control-ui",
  "webchat-ui",
  "webchat",
  "gateway-client",
  "openclaw-browser-copilot",
  "openclaw-macos",
  "openclaw-linux",
  "openclaw-ios",
  "openclaw-watchos",
  "openclaw-android",
  "node-host",
  "openclaw-worker",
  "openclaw-probe",
  "test",
  "fingerprint",
] as const;
export const CLIENT_MODES = ["cli", "ui", "webchat", "backend", "node", "worker", "probe", "test"] as const;
export const ROLES = ["operator", "node", "worker"] as const;
export type Role = (typeof ROLES)[number];

const closed = { additionalProperties: false } as const;

/** `connect.params.client` (closed; strings non-empty; id and mode are closed enums). */
export const ClientInfoSchema = Type.Object(
  {
    id: Type.Union(CLIENT_IDS.map((id) => Type.Literal(id))),
    version: NonEmpty,
    platform: NonEmpty,
    mode: Type.Union(CLIENT_MODES.map((m) => Type.Literal(m))),
    displayName: Type.Optional(NonEmpty),
    buildId: Type.Optional(Type.String({ minLength: 1, maxLength: 96 })),
    deviceFamily: Type.Optional(NonEmpty),
    modelIdentifier: Type.Optional(NonEmpty),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    instanceId: Type.Optional(NonEmpty),
  },
  closed,
);

/** `connect` params: exactly the reference's fields (spec §1.3); anything else is rejected. */
export const ConnectParamsSchema = Type.Object(
  {
    minProtocol: Type.Integer({ minimum: 1, maximum: 1_000 }),
    maxProtocol: Type.Integer({ minimum: 1, maximum: 1_000 }),
    client: ClientInfoSchema,
    caps: Type.Optional(Type.Array(Type.String())),
    commands: Type.Optional(Type.Array(Type.String())),
    computerUse: Type.Optional(Type.Unknown()),
    workerRuns: Type.Optional(Type.Unknown()),
    permissions: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
    pathEnv: Type.Optional(Type.String()),
    // A free string here: an unknown role gets its own "invalid role" error (spec §1.3).
    role: Type.Optional(Type.String()),
    scopes: Type.Optional(Type.Array(Type.String())),
    modelCatalog: Type.Optional(
      Type.Union([
        Type.Object(
          { agentId: Type.Optional(Type.String()), sessionKey: Type.Optional(Type.String()) },
          closed,
        ),
        Type.Object(
          {
            agentId: Type.Optional(Type.String()),
            shortId: Type.String(),
            slugHint: Type.Optional(Type.String()),
          },
          closed,
        ),
      ]),
    ),
    device: Type.Optional(
      Type.Object(
        {
          id: NonEmpty,
          publicKey: NonEmpty,
          signature: NonEmpty,
          signedAt: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
          nonce: NonEmpty,
        },
        closed,
      ),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          token: Type.Optional(Type.String()),
          bootstrapToken: Type.Optional(Type.String()),
          deviceToken: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
          approvalRuntimeToken: Type.Optional(Type.String()),
          agentRuntimeIdentityToken: Type.Optional(Type.String()),
        },
        closed,
      ),
    ),
    locale: Type.Optional(Type.String()),
    userAgent: Type.Optional(Type.String()),
  },
  closed,
);
export type ConnectParams = Static<typeof ConnectParamsSchema>;
export type ClientInfo = Static<typeof ClientInfoSchema>;

/** `{type:"req", id, method, params?, traceparent?}` (closed). */
export const RequestFrameSchema = Type.Object(
  {
    type: Type.Literal("req"),
    id: NonEmpty,
    method: NonEmpty,
    params: Type.Optional(Type.Unknown()),
    traceparent: Type.Optional(Type.String({ maxLength: 128 })),
  },
  closed,
);
export type RequestFrame = Static<typeof RequestFrameSchema>;

export interface ResponseFrame {
  type: "res";
  id: string;
  ok: boolean;
  payload?: unknown;
  error?: ErrorShape;
}

export interface StateVersion {
  presence: number;
  health: number;
}

export interface EventFrame {
  type: "event";
  event: string;
  payload?: unknown;
  /** Per-connection counter on broadcasts; targeted events carry none. */
  seq?: number;
  stateVersion?: StateVersion;
}

/** One connected client (or the gateway itself) as `system-presence` and hello-ok list it. */
export interface PresenceEntry {
  ts: number;
  host?: string;
  ip?: string;
  version?: string;
  platform?: string;
  deviceFamily?: string;
  mode?: string;
  reason?: string;
  /** One line for people: "Gateway: host (ip) · app version · mode gateway · reason self", "Node: ip · mode cli". */
  text?: string;
  deviceId?: string;
  roles?: string[];
  scopes?: string[];
  instanceId?: string;
}

/**
 * The hello-ok payload. Only the reference's closed field names appear (a strict client
 * validates against them); `snapshot.health` likewise.
 */
export interface HelloOk {
  type: "hello-ok";
  protocol: number;
  server: { version: string; connId: string; bootId?: string };
  features: { methods: string[]; events: string[]; capabilities: string[] };
  snapshot: {
    presence: PresenceEntry[];
    health: Record<string, unknown>;
    stateVersion: StateVersion;
    uptimeMs: number;
    sessionDefaults: { defaultAgentId: string; mainKey: string; mainSessionKey: string };
    authMode: "none" | "token" | "password";
  };
  auth: { role: string; scopes: string[]; method?: "none" | "token" | "password" };
  policy: {
    maxPayload: number;
    maxBufferedBytes: number;
    tickIntervalMs: number;
    /** What chat.send accepts as attachments: all of one message's, and each image (decoded bytes). */
    attachments?: { maxBytes: number; maxImageBytes: number };
  };
}

/**
 * Server capabilities hello-ok advertises (`features.capabilities`), each one Keel really honours.
 * `published-model-catalog`: `models.list` answers from the gateway's configured catalog (the
 * reference's CLI refuses `models list` without it). The reference also sends many capabilities
 * for features Keel lacks (canvas docs, node workers, session settings CAS, wizards); those are
 * left out rather than promised.
 */
export const SERVER_CAPABILITIES: readonly string[] = ["published-model-catalog"];

/**
 * Capabilities `connect.challenge` announces before the handshake. The reference sends
 * `model-catalog-snapshot` (a model catalog in hello-ok for a connect's `modelCatalog`); Keel
 * accepts `modelCatalog` but returns no such snapshot, so it announces none.
 */
export const CHALLENGE_CAPABILITIES: readonly string[] = [];

/** Events any connection receives whatever its scopes; every other family needs a scope (fail closed). */
export const PUBLIC_EVENTS: ReadonlySet<string> = new Set([
  "tick",
  "presence",
  "health",
  "heartbeat",
  "shutdown",
]);

/** The events the WebSocket layer itself emits (other families declare theirs when registered). */
export const CORE_EVENTS = ["connect.challenge", "tick", "presence", "health", "shutdown"] as const;
