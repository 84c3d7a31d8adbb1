// The `gateway` section of the config schema: the process, its one port, auth and socket budgets.
import { Type } from "@sinclair/typebox";
import { bool, HOT, int, KiB, MiB, obj, RESTART, secret } from "./schema-kit.js";

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

/** One /v1 endpoint's switch: read per request, so a reload turns it on or off. */
/** A list of browser origins (`scheme://host[:port]`), hot, none by default. */
const originList = (description: string) =>
  Type.Array(Type.String({ pattern: "^https?://[^/?#\\s]+$", description: "scheme://host[:port]" }), {
    default: [],
    maxItems: 1_000,
    reload: "hot",
    description,
  });

const endpoint = (what: string) =>
  obj({ enabled: Type.Boolean({ default: false, reload: "hot", description: `Serve ${what}` }) }, what);

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
        endpoints: obj(
          {
            chatCompletions: endpoint("POST /v1/chat/completions (and GET /v1/models)"),
            responses: endpoint("POST /v1/responses (and GET /v1/models)"),
            embeddings: endpoint("POST /v1/embeddings (and GET /v1/models)"),
          },
          "The OpenAI-compatible endpoints under /v1 (each off by default)",
        ),
        maxBodyBytes: int(
          20 * MiB,
          1 * KiB,
          256 * MiB,
          "Largest request body the /v1 endpoints read (bytes); past it a 413",
        ),
        maxRequestMs: int(
          600_000,
          1_000,
          86_400_000,
          "Longest a /v1 request may take in all, queueing and failover included (ms); past it a 504 or an error chunk",
          HOT,
        ),
        sseKeepAliveMs: int(
          15_000,
          100,
          600_000,
          "Interval of SSE keep-alive comments while a streamed /v1 request waits for output (ms)",
          HOT,
        ),
        images: obj(
          {
            allowRemoteUrls: Type.Boolean({
              default: false,
              reload: "hot",
              description: "Accept http(s) image URLs in /v1 requests (data: URLs are always accepted)",
            }),
            maxPerRequest: int(8, 0, 1_000, "Image parts one /v1 request may carry", HOT),
          },
          "Image parts in /v1 requests",
        ),
        cors: obj(
          {
            allowedOrigins: originList(
              "Browser origins (scheme://host[:port]) allowed to call /v1 with CORS; none by default",
            ),
          },
          "CORS for the /v1 endpoints",
        ),
      },
      "HTTP request timeouts, the caps on sockets nobody has answered yet, and the OpenAI-compatible API",
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
    stabilityEvents: int(
      1_000,
      16,
      100_000,
      "Diagnostic events (memory samples, heartbeats, restarts, shedding) diagnostics.stability keeps; the oldest go first",
      RESTART,
    ),
    presenceEventMaxEntries: int(
      100,
      1,
      100_000,
      "Entries a presence event lists at most (the gateway, then the newest clients); system-presence lists all",
      HOT,
    ),
    maxSessionSubscriptions: int(
      1_000,
      1,
      100_000,
      "Session keys one connection may follow with sessions.messages.subscribe; more are refused until it unsubscribes",
      HOT,
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
    drainTimeoutMs: int(
      30_000,
      0,
      3_600_000,
      "On SIGTERM or restart: time active runs get to finish before they are aborted (ms)",
      HOT,
    ),
    reload: obj(
      {
        mode: Type.Union([Type.Literal("hot"), Type.Literal("off")], {
          default: "hot",
          description: "hot = watch the config file and apply valid edits; off = read it at start only",
        }),
        debounceMs: int(
          200,
          0,
          10_000,
          "Quiet time after the last change to the file before it is read (ms)",
        ),
        keepLastGood: bool(
          true,
          "Keep the last config that loaded in <state>/keel.last-good.json and start on it when the file is invalid",
        ),
      },
      "Config file watching and hot reload",
      HOT,
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
        allowedOrigins: originList(
          "Browser origins (scheme://host[:port]) allowed to connect besides the gateway's own; others are refused before auth",
        ),
      },
      "Browser clients",
    ),
  },
  "The gateway process and its one port",
  RESTART,
);
