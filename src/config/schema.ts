// The one config schema: every key's type, default, range, env var and one-line doc.
//
// Custom keywords read by the loader and the README generator:
//   env    — the KEEL_* variable that overrides this key (env > file > default)
//   secret — redacted in config.get, logs and status
//   reload — "hot": read at use time from the ConfigSource, so a swapped config applies to the
//            next turn / admission / request; "restart": read once at start. Set on a section
//            (or object) and inherited by its keys unless a key sets its own.
import { type Static, type TObject, Type } from "@sinclair/typebox";
import { GatewaySchema } from "./schema-gateway.js";
import { HooksSchema } from "./schema-hooks.js";
import { duration, HOT, int, KiB, MiB, obj, RESTART } from "./schema-kit.js";

export { GatewaySchema, HooksSchema };

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
        contextFallbacks: Type.Optional(
          Type.Array(refOrAlias(), {
            description: "Larger models tried only when a prompt is too long (context_length)",
          }),
        ),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'Model ref "provider/model" (or an alias), or {primary, fallbacks[], contextFallbacks[]}' },
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
        mediaMaxMb: int(
          20,
          1,
          100,
          "Decoded size (MiB) of all the images one chat.send may attach (at most 16, each at most 6 MiB: PNG, JPEG, GIF or WebP; never more than gateway.maxPayload carries as base64), and of the images a prompt takes from its session's history (the newest)",
        ),
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

/** A price in USD per million tokens (a model's `cost`). */
const PerMillion = Type.Number({ minimum: 0, maximum: 1_000_000, default: 0 });

/** What usage.cost prices a model's tokens at, USD per million; unset fields cost 0. */
const ModelCostSchema = Type.Object(
  { input: PerMillion, output: PerMillion, cacheRead: PerMillion, cacheWrite: PerMillion },
  { additionalProperties: false, description: "USD per million tokens, for usage.cost" },
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
    cost: Type.Optional(ModelCostSchema),
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

const steps = (def: number[], description: string) =>
  Type.Array(Type.Integer({ minimum: 100, maximum: 7 * 86_400_000 }), {
    default: def,
    minItems: 1,
    maxItems: 16,
    description,
  });

const CooldownsSchema = obj(
  {
    rateLimitStepsMs: steps(
      [10_000, 30_000, 60_000, 300_000],
      "Cooldown steps (ms) of a (credential, model) after rate_limit / overloaded; the last repeats",
    ),
    failureStepsMs: steps(
      [30_000, 60_000, 300_000],
      "Cooldown steps (ms) after auth / timeout / network (and server_error past its threshold)",
    ),
    billingStepsMs: steps(
      [18_000_000, 86_400_000],
      "Cooldown steps (ms) of a credential after a billing error",
    ),
    serverErrorThreshold: int(3, 1, 100, "Consecutive server errors before a (credential, model) cools down"),
    maxRetryAfterMs: int(
      300_000,
      0,
      86_400_000,
      "Cap on a vendor's Retry-After hint, which replaces the step (ms)",
    ),
    maxEntries: int(10_000, 16, 1_000_000, "Cooldown entries kept in memory; past it the oldest go"),
    ttlMs: int(3_600_000, 1_000, 7 * 86_400_000, "How long an expired cooldown keeps its step count (ms)"),
  },
  "Cooldowns of failing credentials, models and endpoints",
  HOT,
);

export const ModelsSchema = obj(
  {
    providers: Type.Record(Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" }), ProviderSchema, {
      default: {},
      description:
        'Providers by id ("keel" is reserved): {baseUrl, apiKey, api, headers, timeoutSeconds (idle watchdog, 120), connectTimeoutMs (30000), maxConnections (64), models:[{id, name, contextWindow (128000), maxTokens, input (["text"]; add "image"), tools (true), reasoning (false), cost ({input, output, cacheRead, cacheWrite}: USD per million tokens, 0 – 1_000_000 each, unset 0; without it usage.cost counts the model\'s runs as missingCostEntries)}]}. With none configured, OPENAI_API_KEY (+ OPENAI_BASE_URL) in the gateway\'s environment configures provider "openai"',
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
    cooldowns: CooldownsSchema,
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
      RESTART,
    ),
    maxPins: int(
      10_000,
      16,
      1_000_000,
      "Session credential pins kept at most (the oldest go first)",
      RESTART,
    ),
  },
  "Provider credential profiles",
  HOT,
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
        usageDetailDays: int(
          90,
          1,
          36_500,
          "Days each session run keeps its own usage row; older rows are summed per day, agent, provider and model (usage.cost totals stay, per-session figures of those days go)",
        ),
      },
      "Session pruning and usage folding",
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
    deltaThrottleMs: int(
      150,
      0,
      10_000,
      "Least time between delta events (reply text, thinking) of one run (ms)",
    ),
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
