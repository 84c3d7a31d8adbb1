// The one config schema: every key's type, default, range, env var and one-line doc.
//
// Custom keywords read by the loader and the README generator:
//   env    — the KEEL_* variable that overrides this key (env > file > default)
//   secret — redacted in config.get, logs and status
//   reload — "hot": read at use time from the ConfigSource, so a swapped config applies to the
//            next turn / admission / request; "restart": read once at start. Set on a section
//            (or object) and inherited by its keys unless a key sets its own.
import { type Static, type TObject, type TSchema, Type } from "@sinclair/typebox";

const KiB = 1024;
const MiB = 1024 * KiB;

const int = (def: number, min: number, max: number, description: string, extra: object = {}) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description, ...extra });
const bool = (def: boolean, description: string) => Type.Boolean({ default: def, description });
const obj = <T extends Record<string, TSchema>>(props: T, description: string, extra: object = {}) =>
  Type.Object(props, { additionalProperties: false, default: {}, description, ...extra });
const HOT = { reload: "hot" } as const;
const RESTART = { reload: "restart" } as const;
const secret = (description: string, env?: string) =>
  Type.Optional(Type.String({ minLength: 1, secret: true, description, ...(env ? { env } : {}) }));
const duration = (def: string, description: string) =>
  Type.String({ default: def, pattern: "^[0-9]+(ms|s|m|h|d)$", description });

/** A model alias (agents.defaults.models[ref].alias): no slash, so it never reads as a ref. */
export const MODEL_ALIAS_PATTERN = "^[^/\\s](?:[^/]{0,62}[^/\\s])?$";
/** "provider/model", or an alias configured under agents.defaults.models. */
export const MODEL_REF_OR_ALIAS = `^(?:[^/]+/.+|${MODEL_ALIAS_PATTERN.slice(1, -1)})$`;
const refOrAlias = (description?: string) =>
  Type.String({
    minLength: 1,
    pattern: MODEL_REF_OR_ALIAS,
    ...(description ? { description } : {}),
  });

export const ModelRefSchema = Type.Union(
  [
    refOrAlias(),
    Type.Object(
      {
        primary: refOrAlias("provider/model or an alias"),
        fallbacks: Type.Optional(Type.Array(refOrAlias())),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'Model ref "provider/model" (or an alias), or {primary, fallbacks[]}' },
);

const rateLimit = obj(
  {
    maxAttempts: int(10, 1, 10_000, "Failed auth attempts per window per (client IP, Origin) before lockout"),
    windowMs: int(60_000, 1_000, 3_600_000, "Window for counting failed auth attempts (ms)"),
    lockoutMs: int(300_000, 1_000, 86_400_000, "Lockout after too many failures (ms)"),
    exemptLoopback: bool(true, "Loopback clients are not rate limited"),
    maxTrackedClients: int(10_000, 100, 1_000_000, "Cap on (client IP, Origin) pairs tracked by the limiter"),
  },
  "Auth failure rate limiting",
);

export const GatewaySchema = obj(
  {
    port: int(18789, 0, 65535, "Port for WebSocket and HTTP health probes (0 = any free port)", {
      env: "KEEL_GATEWAY_PORT",
    }),
    bind: Type.Union([Type.Literal("loopback"), Type.Literal("lan")], {
      default: "loopback",
      description: "loopback = 127.0.0.1 only; lan = all interfaces (requires auth)",
    }),
    auth: obj(
      {
        mode: Type.Union([Type.Literal("token"), Type.Literal("password"), Type.Literal("none")], {
          default: "token",
          description: 'Client auth: token, password, or explicit "none" (refused with bind lan)',
        }),
        token: secret(
          "Shared token; when unset a token is generated into <state>/gateway-token",
          "KEEL_GATEWAY_TOKEN",
        ),
        password: secret("Shared password (mode password)", "KEEL_GATEWAY_PASSWORD"),
        rateLimit,
      },
      "How clients authenticate",
    ),
    handshakeTimeoutMs: int(15_000, 1_000, 120_000, "Time a socket has to complete connect (ms)", {
      env: "KEEL_HANDSHAKE_TIMEOUT_MS",
      ...HOT,
    }),
    maxPayload: int(25 * MiB, 64 * KiB, 256 * MiB, "Largest frame accepted after auth (bytes)", HOT),
    maxBufferedBytes: int(
      50 * MiB,
      64 * KiB,
      1024 * MiB,
      "Send buffer per client before slow-consumer handling (bytes)",
      HOT,
    ),
    maxBufferedBytesTotal: int(
      128 * MiB,
      64 * KiB,
      16 * 1024 * MiB,
      "Send buffers of all clients together (bytes); past it the clients with the most unsent bytes are closed first",
      HOT,
    ),
    tickIntervalMs: int(30_000, 1_000, 600_000, "Interval of the tick event (ms)"),
    maxConnections: int(
      1_000,
      1,
      100_000,
      "Authenticated WebSocket connections at most; past it new sockets get HTTP 503",
    ),
    preAuth: obj(
      {
        maxConnections: int(
          256,
          1,
          100_000,
          "Sockets that have not sent a successful connect yet; past it the oldest is closed",
        ),
        maxPerAddress: int(
          64,
          1,
          100_000,
          "Sockets not yet authenticated from one client address; past it that address's oldest is closed",
        ),
      },
      "The separate budget of sockets before connect (never counts against authenticated ones)",
    ),
    http: obj(
      {
        headersTimeoutMs: int(5_000, 500, 120_000, "Time a client has to send a request's headers (ms)"),
        requestTimeoutMs: int(
          30_000,
          1_000,
          600_000,
          "Time a client has to send a whole HTTP request, body included (ms)",
        ),
        maxPendingSockets: int(
          512,
          1,
          100_000,
          "TCP sockets not yet answered or upgraded; past it the oldest is closed",
        ),
        maxPendingPerAddress: int(
          128,
          1,
          100_000,
          "TCP sockets not yet answered or upgraded from one address; past it that address's oldest is closed",
        ),
        fdLimit: int(
          0,
          0,
          10_000_000,
          "File descriptors the process may open (0 = read /proc/self/limits; none there means no fd budget)",
        ),
        fdReserve: int(
          128,
          8,
          100_000,
          "Descriptors kept free of client sockets (store, logs, vendor calls, /healthz, one more client)",
        ),
      },
      "HTTP request timeouts and the caps on sockets nobody has answered yet",
    ),
    trustedProxies: Type.Array(
      Type.String({ pattern: "^[0-9a-fA-F.:]+(/[0-9]{1,3})?$", description: "IP or CIDR" }),
      {
        default: [],
        maxItems: 1_000,
        description:
          "Reverse proxies (IPs or CIDRs) whose X-Forwarded-For names the client for per-address budgets and the auth lockout",
      },
    ),
    maxInFlightPerConnection: int(
      256,
      1,
      100_000,
      "Requests one connection may have unanswered; more get a retryable UNAVAILABLE",
    ),
    pingIntervalMs: int(
      20_000,
      1_000,
      600_000,
      "WebSocket ping interval (ms); a client that misses a round is dropped",
    ),
    shutdownTimeoutMs: int(
      10_000,
      100,
      600_000,
      "Time shutdown may take before the process exits anyway (ms)",
    ),
    healthRefreshMs: int(60_000, 1_000, 3_600_000, "Refresh interval of the cached health snapshot (ms)"),
    restartBackoff: obj(
      {
        rapidWindowMs: int(
          1_800_000,
          1_000,
          86_400_000,
          "A start within this time of the previous one is rapid (ms)",
        ),
        threshold: int(3, 1, 1_000, "Rapid starts allowed before startup waits"),
        initialDelayMs: int(
          5_000,
          0,
          3_600_000,
          "First wait once past the threshold (ms); doubles each rapid start",
        ),
        maxDelayMs: int(120_000, 0, 3_600_000, "Cap on the crash-loop wait (ms)"),
        stableAfterMs: int(
          600_000,
          1_000,
          86_400_000,
          "Uptime after which the rapid-start count resets (ms)",
        ),
      },
      "Crash-loop backoff before heavy startup work",
    ),
    controlUi: obj(
      {
        allowedOrigins: Type.Array(
          Type.String({ pattern: "^https?://[^/?#\\s]+$", description: "scheme://host[:port]" }),
          {
            default: [],
            maxItems: 1_000,
            reload: "hot",
            description:
              "Browser origins (scheme://host[:port]) allowed to connect besides the gateway's own; others are refused before auth",
          },
        ),
      },
      "Browser clients",
    ),
  },
  "The gateway process and its one port",
  RESTART,
);

const AgentSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, description: "Display name" })),
    model: Type.Optional(ModelRefSchema),
    systemPrompt: Type.Optional(Type.String({ description: "System prompt for this agent" })),
    timeoutSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 604_800, description: "Run timeout (s)" }),
    ),
  },
  { additionalProperties: false },
);

export const AgentsSchema = obj(
  {
    defaults: obj(
      {
        model: Type.Optional(ModelRefSchema),
        models: Type.Record(
          Type.String({ minLength: 3, pattern: "^[^/]+/.+$" }),
          Type.Object(
            { alias: Type.Optional(Type.String({ pattern: MODEL_ALIAS_PATTERN, description: "Alias" })) },
            { additionalProperties: false },
          ),
          {
            default: {},
            description:
              'Per-model settings by "provider/model": {alias} — the alias (no "/") works wherever a model ref does; not an allowlist',
          },
        ),
        systemPrompt: Type.String({ default: "", description: "System prompt used when an agent sets none" }),
        timeoutSeconds: int(172_800, 1, 604_800, "Run timeout (s) when an agent sets none"),
      },
      "Settings every agent inherits",
    ),
    entries: Type.Record(Type.String({ pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" }), AgentSchema, {
      default: {},
      description: 'Agents by id (name, model, systemPrompt, timeoutSeconds); "main" always exists',
    }),
    defaultId: Type.String({
      default: "main",
      pattern: "^[a-z0-9][a-z0-9_-]{0,63}$",
      description: "Default agent id",
    }),
  },
  "Agents",
  HOT,
);

const ProviderModelSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    name: Type.Optional(Type.String()),
    contextWindow: Type.Optional(Type.Integer({ minimum: 256, maximum: 100_000_000 })),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    input: Type.Array(Type.Union([Type.Literal("text"), Type.Literal("image")]), {
      default: ["text"],
      minItems: 1,
      uniqueItems: true,
    }),
    tools: Type.Boolean({ default: true }),
    reasoning: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

const ProviderSchema = Type.Object(
  {
    baseUrl: Type.String({ pattern: "^https?://", description: "Base URL, e.g. http://host:4000/v1" }),
    apiKey: Type.Optional(Type.String({ secret: true })),
    api: Type.Union(
      [
        Type.Literal("openai-completions"),
        Type.Literal("openai-responses"),
        Type.Literal("anthropic-messages"),
      ],
      {
        default: "openai-completions",
        description: "Wire format: openai-completions, openai-responses, anthropic-messages",
      },
    ),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    timeoutSeconds: Type.Integer({
      default: 120,
      minimum: 1,
      maximum: 3_600,
      description: "Idle watchdog (s)",
    }),
    connectTimeoutMs: Type.Integer({ default: 30_000, minimum: 100, maximum: 600_000 }),
    maxConnections: Type.Integer({
      default: 64,
      minimum: 1,
      maximum: 10_000,
      description: "Sockets open to this provider at once; more turns queue on its pool",
    }),
    models: Type.Array(ProviderModelSchema, { default: [] }),
  },
  // The default makes Value.Default descend into each provider entry of the record.
  { additionalProperties: false, default: {} },
);

export const ModelsSchema = obj(
  {
    providers: Type.Record(Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" }), ProviderSchema, {
      default: {},
      description:
        'Providers by id ("keel" is reserved): {baseUrl, apiKey, api, headers, timeoutSeconds (idle watchdog, 120), connectTimeoutMs (30000), maxConnections (64), models:[{id, name, contextWindow (128000), maxTokens, input (["text"]; add "image"), tools (true), reasoning (false)}]}. With none configured, OPENAI_API_KEY (+ OPENAI_BASE_URL) in the gateway\'s environment configures provider "openai"',
    }),
    failoverDeadlineMs: int(
      120_000,
      1_000,
      3_600_000,
      "Total time a turn may spend before its first token (ms)",
    ),
    defaultContextWindow: int(
      128_000,
      256,
      100_000_000,
      "Context window (tokens) of a model that configures none",
    ),
  },
  "Model providers",
  HOT,
);

/** An environment variable name (a profile's keyEnv). */
const ENV_NAME = "^[A-Za-z_][A-Za-z0-9_]{0,127}$";

export const AuthSchema = obj(
  {
    profiles: Type.Record(
      Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}:[^\\s]{1,128}$" }),
      Type.Object(
        {
          provider: Type.String({ minLength: 1 }),
          mode: Type.Union([Type.Literal("api_key"), Type.Literal("token")]),
          keyEnv: Type.Optional(Type.String({ pattern: ENV_NAME })),
        },
        { additionalProperties: false },
      ),
      {
        default: {},
        description:
          'Credential profiles by id "<provider>:<name>": {provider, mode: "api_key", keyEnv?}. Metadata only: the key comes from the environment variable keyEnv names, else from <state>/credentials.json (`keel auth add`)',
      },
    ),
    order: Type.Record(Type.String(), Type.Array(Type.String()), {
      default: {},
      description:
        'Credential order per provider id (profile ids; "<provider>:default" is the provider\'s apiKey). Unset: apiKey first, then profiles in config order',
    }),
    pinTtlMs: int(
      86_400_000,
      60_000,
      2_592_000_000,
      "How long a session keeps the credential it last used per provider, unless it fails first (ms)",
    ),
    maxPins: int(10_000, 16, 1_000_000, "Session credential pins kept at most (the oldest go first)"),
  },
  "Provider credential profiles",
  RESTART,
);

export const SessionSchema = obj(
  {
    mainKey: Type.String({
      default: "main",
      pattern: "^[A-Za-z0-9._-]{1,64}$",
      description: "Main session key",
    }),
    synchronous: Type.Union([Type.Literal("NORMAL"), Type.Literal("FULL")], {
      default: "NORMAL",
      description: "SQLite synchronous mode: NORMAL survives kill -9; FULL also survives power loss",
    }),
    historyMaxLimit: int(1_000, 1, 10_000, "Largest page of chat.history", HOT),
    historyMaxBytes: int(
      6 * MiB,
      64 * KiB,
      256 * MiB,
      "Largest chat.history answer (bytes); older messages move to the next page, a bigger message becomes a placeholder",
      HOT,
    ),
    maintenance: obj(
      {
        maxEntries: int(500, 1, 10_000_000, "Sessions kept per agent; the least recently updated are pruned"),
        pruneAfter: duration("30d", "Sessions not updated for this long are pruned (e.g. 30d, 12h)"),
        intervalMs: int(60_000, 1_000, 86_400_000, "Interval of the maintenance timer (ms)"),
      },
      "Session pruning",
    ),
  },
  "Session store",
  RESTART,
);

export const RunsSchema = obj(
  {
    maxConcurrent: int(256, 1, 100_000, "Runs in memory at once (running and queued) across the gateway"),
    maxQueuePerSession: int(16, 0, 10_000, "Runs waiting behind the active one in a session"),
    finishedTtlMs: int(
      300_000,
      1_000,
      86_400_000,
      "How long a finished-run record answers agent.wait and keeps its idempotency key known (ms)",
    ),
    maxFinished: int(10_000, 10, 1_000_000, "Finished-run records kept at most (the oldest go first)"),
    staleAfterMs: int(1_800_000, 1_000, 86_400_000, "A run inactive this long is swept (ms)"),
    sweepIntervalMs: int(60_000, 100, 3_600_000, "Interval of the run maintenance timer (ms)", RESTART),
    deltaThrottleMs: int(150, 0, 10_000, "Least time between chat delta events of one run (ms)"),
    historyMessages: int(200, 1, 10_000, "Most recent transcript messages read to build a prompt"),
    maxMessageChars: int(1_000_000, 1, 100_000_000, "Longest user message accepted (characters)"),
    maxWaitersPerRun: int(
      1_024,
      1,
      1_000_000,
      "Callers waiting for one run's end at once (agent.wait, HTTP)",
    ),
    maxSubscribersPerRun: int(64, 1, 10_000, "Listeners following one run's events at once"),
    subscriberBacklog: int(
      10_000,
      16,
      1_000_000,
      "Events a run subscriber may leave unread before it is failed as too slow",
    ),
  },
  "Run engine limits",
  HOT,
);

export const HooksSchema = obj(
  {
    enabled: bool(false, "Serve webhook endpoints"),
    token: secret("Token webhook callers must present"),
    path: Type.String({
      default: "/hooks",
      pattern: "^/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$",
      description: "Base path",
    }),
  },
  "Webhooks",
  RESTART,
);

export const LoggingSchema = obj(
  {
    level: Type.Union(
      ["trace", "debug", "info", "warn", "error", "fatal", "silent"].map((l) => Type.Literal(l)),
      { default: "info", description: "Log level", env: "KEEL_LOG_LEVEL" },
    ),
    maxFileBytes: int(10 * MiB, 64 * KiB, 1024 * MiB, "Size at which <state>/logs/keel.log rotates (bytes)"),
    maxFiles: int(5, 1, 100, "Rotated log files kept"),
  },
  "Logs",
  RESTART,
);

/** Section name → schema. Each section is validated on its own so one can degrade (hooks). */
export const SECTIONS = {
  gateway: GatewaySchema,
  agents: AgentsSchema,
  models: ModelsSchema,
  auth: AuthSchema,
  session: SessionSchema,
  runs: RunsSchema,
  hooks: HooksSchema,
  logging: LoggingSchema,
} as const satisfies Record<string, TObject>;

export type SectionName = keyof typeof SECTIONS;
export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[];

export const ConfigSchema = Type.Object(SECTIONS, { additionalProperties: false });

export type Config = Static<typeof ConfigSchema>;
export type GatewayConfig = Config["gateway"];
export type AgentsConfig = Config["agents"];
export type ModelsConfig = Config["models"];
export type ProviderConfig = Config["models"]["providers"][string];
export type SessionConfig = Config["session"];
export type RunsConfig = Config["runs"];
export type HooksConfig = Config["hooks"];
export type AuthConfig = Config["auth"];
export type ModelRef = Static<typeof ModelRefSchema>;
