// The `hooks` section of the config schema: webhook endpoints, their auth, limits and mappings.
import { Type } from "@sinclair/typebox";
import { bool, HOT, int, KiB, MiB, obj } from "./schema-kit.js";

/** Names `POST <path>/<name>` may not take: the built-in endpoints. */
export const BUILTIN_HOOK_NAMES = ["wake", "agent"] as const;

const HEADER_NAME = "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$";

const SignatureSchema = Type.Object(
  {
    header: Type.String({ pattern: HEADER_NAME, description: "Header carrying the signature" }),
    secret: Type.String({ minLength: 1, secret: true, description: "HMAC key (use ${VAR})" }),
    algorithm: Type.Literal("sha256", { default: "sha256", description: "HMAC algorithm" }),
    style: Type.Union([Type.Literal("plain"), Type.Literal("timestamped")], {
      default: "plain",
      description:
        'plain: the header is the hex HMAC of the raw body, optionally "sha256=<hex>"; timestamped: "t=<unix s>,v1=<hex>" over "<t>.<body>"',
    }),
    toleranceSeconds: Type.Integer({
      default: 300,
      minimum: 1,
      maximum: 86_400,
      description: "Largest clock difference a timestamped signature may have (s)",
    }),
  },
  { additionalProperties: false },
);

const MappingSchema = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,63}$", description: "POST <path>/<name>" }),
    action: Type.Union([Type.Literal("agent"), Type.Literal("wake")], { default: "agent" }),
    agentId: Type.Optional(Type.String({ minLength: 1 })),
    sessionKey: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    messageTemplate: Type.String({ minLength: 1, maxLength: 64 * KiB }),
    model: Type.Optional(Type.String({ minLength: 1 })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 604_800 })),
    signature: Type.Optional(SignatureSchema),
    idempotencyHeader: Type.Optional(Type.String({ pattern: HEADER_NAME })),
  },
  { additionalProperties: false },
);

const rateLimit = obj(
  {
    maxAttempts: int(20, 1, 10_000, "Failed webhook auth attempts per window per client address"),
    windowMs: int(60_000, 1_000, 3_600_000, "Window for counting failed webhook auth attempts (ms)"),
    lockoutMs: int(60_000, 1_000, 86_400_000, "Webhook lockout after too many failures (ms)"),
    maxTrackedClients: int(10_000, 100, 1_000_000, "Cap on client addresses the webhook limiter tracks"),
  },
  "Webhook auth failure rate limiting (loopback is not exempt)",
);

export const HooksSchema = obj(
  {
    enabled: bool(false, "Serve webhook endpoints"),
    token: Type.Optional(
      Type.String({ minLength: 1, secret: true, description: "Token webhook callers must present" }),
    ),
    path: Type.String({
      default: "/hooks",
      pattern: "^/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$",
      description: "Base path",
    }),
    maxBodyBytes: int(256 * KiB, 1 * KiB, 16 * MiB, "Largest webhook body accepted (bytes); larger is 413"),
    defaultSessionKey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: "Session of /agent calls that name none (default: a new hook:<uuid> each)",
      }),
    ),
    allowRequestSessionKey: bool(
      false,
      "Let /agent callers choose sessionKey (needs allowedSessionKeyPrefixes)",
    ),
    allowedSessionKeyPrefixes: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), {
      default: [],
      description: "Prefixes a caller-chosen or templated sessionKey must start with",
    }),
    allowedAgentIds: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: "Agents webhooks may run (empty: any configured agent)",
    }),
    rateLimit,
    mappings: Type.Array(MappingSchema, {
      default: [],
      description:
        "POST <path>/<name> endpoints: {name, action agent|wake, agentId, sessionKey, messageTemplate ({{body.x}}), model, timeoutSeconds, signature, idempotencyHeader}",
    }),
  },
  "Webhooks",
  HOT,
);
