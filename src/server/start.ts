// The one wiring point: builds every service in order, listens first, then runs the startup steps.
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import type { TSchema } from "@sinclair/typebox";
import { loadProfileSecrets, type ProfileSecrets } from "../config/credentials.js";
import type { RejectedFile } from "../config/fallback.js";
import type { Config } from "../config/schema.js";
import { LiveConfig } from "../config/source.js";
import type { Mount } from "../http/router.js";
import type { Route } from "../http/types.js";
import { RestartSentinel } from "../lifecycle/backoff.js";
import { acquireStateLock, type StateLock } from "../lifecycle/lock.js";
import { type Logger, silentLogger } from "../lifecycle/logger.js";
import { abortableSleep, type StartupStep, StartupSteps } from "../lifecycle/startup.js";
import { StabilityLog } from "../lifecycle/stability.js";
import { Subsystems } from "../lifecycle/subsystems.js";
import type { GatewayContext } from "../methods/index.js";
import type { MethodDef, MethodRegistry } from "../methods/registry.js";
import { broadcastRuns } from "../methods/run-events.js";
import { configWarnings } from "../models/warnings.js";
import { VERSION } from "../version.js";
import { mountHooks } from "../hooks/mount.js";
import { AuthRateLimiter } from "../http/rate-limit.js";
import { ClientAddresses } from "./address.js";
import { guardServer } from "./admission.js";
import { Connections } from "./connections.js";
import { HealthMonitor } from "./health.js";
import { createHttpServer, httpRouter, probePhase } from "./http.js";
import { boundPort, listen, recordListener } from "./listen.js";
import { openaiFamily } from "./openai.js";
import { ConfigReloader, type ReloadLoadOptions } from "./reload.js";
import { Runtime } from "./runtime.js";
import { type GatewaySecret, resolveSecret } from "./secret.js";
import { gatewayServices, type LoadedInfo, methodRegistry } from "./services.js";
import { closeServer, runHooks, type ShutdownHook } from "./shutdown.js";
import { hooksStep, restartBackoffStep, selfPresence, workSample } from "./steps.js";
import { releaseAfterShed, SHED_LOG_INTERVAL_MS, ShedLog } from "./shedding.js";
import { releaseMemory } from "../lifecycle/memory.js";
import { SocketServer } from "./ws.js";

export type { ShutdownHook };
export { PortInUseError } from "./listen.js";

export interface StartOptions {
  config: Config;
  stateDir: string;
  logger?: Logger;
  /** Validation result per section and the config hash, when the config came from loadConfig. */
  loaded?: LoadedInfo;
  /**
   * How the config file was loaded (path, env, flags), so each edit is loaded the same way.
   * Without it the file is not watched and config.patch / config.apply are refused.
   */
  reload?: ReloadLoadOptions;
  /** The file refused at start when `config` is the last good copy (status.config says so). */
  rejected?: RejectedFile;
  /** Extra startup steps, run after the built-in ones (a test holds one open). */
  steps?: StartupStep[];
  /** Clock for the crash-loop sentinel. */
  now?: () => number;
  /** Sleep used for the crash-loop wait (abortable). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Method families served besides the core ones (health, status, system-presence, logs.tail, config.get). */
  methods?: readonly MethodDef<TSchema, GatewayContext>[];
  /** Event names those families emit (advertised in hello-ok.features.events). */
  events?: readonly string[];
  /** WebSocket keepalive ping interval (default 20 s); a client missing one pong round is dropped. */
  pingIntervalMs?: number;
  /** HTTP route families served besides the probes, each with its mount (prefix, error body). */
  routes?: readonly { routes: readonly Route[]; mount?: Mount }[];
  /** Extra shutdown hooks: they run before the built-in ones (the last listed first), each bounded alike. */
  shutdownHooks?: readonly ShutdownHook[];
  /**
   * The auth profiles' keys (keyEnv variables, <state>/credentials.json). Default: resolved here
   * from this process's environment and the state dir, with each missing key logged.
   */
  credentials?: ProfileSecrets;
}

export interface GatewayHandle {
  /** `http://host:port` of the listener. */
  url: string;
  /** `ws://host:port` for WebSocket clients. */
  wsUrl: string;
  port: number;
  /** Resolves when every startup step is done; rejects if one fails (the gateway then closes). */
  ready: Promise<void>;
  startup: StartupSteps;
  subsystems: Subsystems;
  secret: GatewaySecret;
  /** The live config: `swap()` is what a reload does (tests swap it directly). */
  config: LiveConfig;
  /** The services object handlers receive (events, connections, health, config, …). */
  context: GatewayContext;
  registry: MethodRegistry<GatewayContext>;
  /** The config file behind `config`: hashes, reload state, `reloadFromDisk()`. */
  configFile: ConfigReloader;
  /**
   * Stops admitting runs, gives active ones `drainMs` (default 0) to finish and aborts the rest
   * with reason `shutdown`, then runs every shutdown hook and releases the lock. Idempotent.
   */
  close(reason?: string, options?: { drainMs?: number }): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a gateway. Resolves once the port is bound; startup steps continue in the background. */
export async function start(options: StartOptions): Promise<GatewayHandle> {
  const { config } = options;
  const logger = options.logger ?? silentLogger();
  const g = assemble(options, logger);
  try {
    await listen(g.server, config.gateway.port, g.host);
  } catch (err) {
    g.health.close();
    g.unmountHooks();
    await g.sockets.close({ reason: "listen failed", drainMs: 0 });
    g.lock.release();
    throw err;
  }
  const port = boundPort(g.server);
  recordListener(g.lock, port, g.host, logger);
  const shownHost = g.host === "0.0.0.0" ? "127.0.0.1" : g.host;
  logger.info({ port, bind: config.gateway.bind }, `keel gateway listening on ws://${shownHost}:${port}`);

  const lifetime = new AbortController();
  // Uptime long enough to count as stable: the next start is not part of a crash loop.
  const stableTimer = setTimeout(() => g.sentinel.markStable(), config.gateway.restartBackoff.stableAfterMs);
  stableTimer.unref();
  const ready = runStartup(g.startup, lifetime.signal, logger, g.startedAt);
  g.reloader.start();

  let closing: Promise<void> | undefined;
  const close = (reason = "shutdown", { drainMs = 0 } = {}): Promise<void> => {
    closing ??= (async () => {
      g.state.draining = true;
      g.reloader.close();
      // Before the hooks' deadline starts: the drain has its own (gateway.drainTimeoutMs).
      await g.runtime.drainRuns(drainMs);
      clearTimeout(stableTimer);
      lifetime.abort(new Error(`gateway closing: ${reason}`));
      await runHooks(g.hooks, reason, Date.now() + config.gateway.shutdownTimeoutMs, logger);
      g.sentinel.markCleanExit();
      g.lock.release();
      logger.info({ reason }, "gateway stopped");
    })();
    return closing;
  };

  return {
    url: `http://${shownHost}:${port}`,
    wsUrl: `ws://${shownHost}:${port}`,
    port,
    ready,
    startup: g.startup,
    subsystems: g.subsystems,
    secret: g.secret,
    config: g.source,
    configFile: g.reloader,
    context: g.context,
    registry: g.registry,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/**
 * Every service of one gateway, built in order, each handed what it needs; nothing is patched in
 * afterwards: first the process-level parts, then the surfaces over them.
 */
function assemble(options: StartOptions, logger: Logger) {
  const core = buildCore(options, logger);
  try {
    return { ...core, ...buildSurfaces(core, options, logger) };
  } catch (err) {
    // A wiring error (a route registered twice) must not leave the state dir locked.
    core.health.close();
    core.lock.release();
    throw err;
  }
}

/**
 * The lock, secret and sentinel (a second gateway must not get past these), health, the
 * connection set, and the runtime whose startup steps build the store, models and runs.
 */
function buildCore(options: StartOptions, logger: Logger) {
  const { config, stateDir } = options;
  const startedAt = Date.now();
  const state = { draining: false };
  const source = new LiveConfig(config);
  const startup = new StartupSteps();
  const subsystems = new Subsystems();
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const lock = acquireStateLock(stateDir);
  const secret = secretOrRelease(config, stateDir, lock, logger);
  // Once per start; health and status carry the same lines for as long as the config holds.
  for (const warning of configWarnings(config)) logger.warn(warning);
  const sentinel = new RestartSentinel(stateDir, config.gateway.restartBackoff, options.now);
  const health = new HealthMonitor({
    startedAt,
    startup,
    subsystems,
    defaultAgentId: () => source.current().agents.defaultId,
    refreshMs: config.gateway.healthRefreshMs,
  });
  const stability = new StabilityLog(config.gateway.stabilityEvents);
  const shed = new ShedLog(logger, Date.now, SHED_LOG_INTERVAL_MS, (counts) => stability.recordShed(counts));
  const release = releaseAfterShed(1_000, () => {
    releaseMemory();
    logger.debug("memory released after slow consumers were closed");
  });
  const connections = new Connections({
    max: config.gateway.maxConnections,
    preAuth: config.gateway.preAuth,
    maxBufferedTotal: () => source.current().gateway.maxBufferedBytesTotal,
    maxSubscriptions: () => source.current().gateway.maxSessionSubscriptions,
    presenceEventMax: () => source.current().gateway.presenceEventMaxEntries,
    onSlowShed: (n) => {
      for (let i = 0; i < n; i++) shed.note("gateway.maxBufferedBytesTotal");
    },
    onSlowClosed: release,
    healthVersion: () => health.version,
    self: selfPresence(startedAt),
  });
  const runtime = new Runtime({
    config: source,
    stateDir,
    logger,
    subsystems,
    runTaps: [broadcastRuns(connections)],
    secrets: options.credentials ?? profileSecrets(config.auth, stateDir, logger),
    resolveSecrets: (auth) => profileSecrets(auth, stateDir, logger),
  });
  startup.add(
    restartBackoffStep(sentinel, startup, logger, options.sleep ?? abortableSleep, (d) =>
      stability.recordRestart(d),
    ),
  );
  const hooks = hooksStep(source, subsystems, logger);
  startup.add(hooks.step);
  const reloader = new ConfigReloader({
    source,
    loaded: options.loaded,
    load: options.reload,
    rejected: options.rejected,
    stateDir,
    logger,
  });
  for (const step of [...runtime.steps(), ...(options.steps ?? [])]) startup.add(step);
  return {
    startedAt,
    state,
    source,
    startup,
    subsystems,
    lock,
    secret,
    sentinel,
    health,
    connections,
    runtime,
    shed,
    hooksReport: hooks.stop,
    reloader,
    stability,
  };
}

/** The HTTP server, the handlers' services, the method registry, the WebSocket layer, the shutdown order. */
function buildSurfaces(core: ReturnType<typeof buildCore>, options: StartOptions, logger: Logger) {
  const { config, stateDir } = options;
  const { startedAt, state, source, startup, subsystems, secret, health, connections, runtime, stability } =
    core;
  // One limiter for WebSocket and /v1 auth: failures on either surface count toward one lockout.
  const limiter = new AuthRateLimiter(config.gateway.auth.rateLimit);
  const addresses = new ClientAddresses(config.gateway.trustedProxies);
  const probes = { phase: () => probePhase(state.draining, startup), ready: () => subsystems.allSettled() };
  const router = httpRouter(logger, probes, options.routes ?? []);
  const server = createHttpServer(router, logger, (req) => addresses.of(req));
  const guards = guardServer(server, config.gateway, core.shed, addresses);
  const host = config.gateway.bind === "lan" ? "0.0.0.0" : "127.0.0.1";
  const context = gatewayServices({
    config: source,
    configFile: core.reloader,
    gateway: {
      version: VERSION,
      startedAt,
      stateDir,
      listener: listenerInfo(server, host, config),
      authMode: secret.mode,
    },
    logger,
    startup,
    subsystems,
    health,
    connections,
    runtime,
    stability,
  });
  const openai = openaiFamily({
    services: context,
    secret,
    limiter,
    maxBodyBytes: config.gateway.http.maxBodyBytes,
  });
  router.add(openai.routes, openai.mount);
  const unmountHooks = mountHooks(router, source, context);
  const registry = methodRegistry(options.methods ?? [], options.events ?? []);
  const sockets = new SocketServer({
    server,
    ctx: context,
    registry,
    connections,
    secret,
    limiter,
    addresses: guards.addresses,
    shed: guards.shed,
    logger,
    ready: () => startup.phase === "ready",
    pingIntervalMs: options.pingIntervalMs ?? config.gateway.pingIntervalMs,
    maxInFlight: config.gateway.maxInFlightPerConnection,
  });
  health.onRefresh(() => sockets.healthChanged());
  health.onRefresh(() => stability.sample(workSample(health, connections, runtime)));
  // Run in this order at close, all under one deadline: end every run (persisting partial text)
  // while clients can still see its events; then `shutdown` and 1012 to every client; the health
  // timer; the store, once no socket can write to it any more; last the listener.
  const hooks: ShutdownHook[] = [
    ...[...(options.shutdownHooks ?? [])].reverse(),
    {
      name: "hooks",
      run: () => {
        unmountHooks();
        core.hooksReport();
      },
    },
    { name: "runs", run: () => runtime.shutdownRuns() },
    {
      name: "websocket",
      run: (reason) =>
        sockets.close({ reason, drainMs: Math.min(2_000, config.gateway.shutdownTimeoutMs / 4) }),
    },
    { name: "health", run: () => health.close() },
    { name: "sessions", run: () => runtime.closeStore() },
    { name: "http", run: () => closeServer(server) },
  ];
  return { server, host, context, registry, sockets, hooks, unmountHooks };
}

/** Where the gateway listens; the port is read from the bound socket (0 until it listens). */
function listenerInfo(server: Server, host: string, config: Config) {
  return {
    host,
    bind: config.gateway.bind,
    get port() {
      return boundPort(server);
    },
  };
}

/** Runs the startup steps in the background; `ready` settles with them (and is never unhandled). */
function runStartup(startup: StartupSteps, signal: AbortSignal, logger: Logger, startedAt: number) {
  const ready = startup.run(signal).then(
    () => logger.info({ ms: Date.now() - startedAt }, "startup complete"),
    (err: Error) => {
      if (!signal.aborted) logger.error({ err }, `startup failed: ${err.message}`);
      throw err;
    },
  );
  // Nobody may be awaiting `ready`; the failure is logged above and the caller decides.
  ready.catch(() => {});
  return ready;
}

/** The gateway's secret; on failure the lock is released before the error leaves start(). */
function secretOrRelease(config: Config, stateDir: string, lock: StateLock, logger: Logger): GatewaySecret {
  let secret: GatewaySecret;
  try {
    secret = resolveSecret(config.gateway, stateDir);
  } catch (err) {
    lock.release();
    throw err;
  }
  if (secret.generated) {
    logger.info(
      { tokenFile: secret.tokenFile },
      "generated a gateway token; clients read it from this file (keel CLI does so automatically) or pass --token",
    );
  }
  return secret;
}

/** The profiles' keys when the caller resolved none, each missing one logged (never a key itself). */
function profileSecrets(auth: Config["auth"], stateDir: string, logger: Logger): ProfileSecrets {
  const secrets = loadProfileSecrets(auth, { stateDir });
  for (const w of secrets.warnings) logger.warn(w);
  return secrets;
}
