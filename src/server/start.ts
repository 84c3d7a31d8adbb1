// The one wiring point: builds every service, listens first, then runs the startup steps.
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TSchema } from "@sinclair/typebox";
import type { LoadedConfig } from "../config/load.js";
import { type Mount, Router } from "../http/router.js";
import type { Route } from "../http/types.js";
import type { Config } from "../config/schema.js";
import { RestartSentinel } from "../lifecycle/backoff.js";
import { acquireStateLock } from "../lifecycle/lock.js";
import { type Logger, silentLogger } from "../lifecycle/logger.js";
import { abortableSleep, type StartupStep, StartupSteps } from "../lifecycle/startup.js";
import { Subsystems } from "../lifecycle/subsystems.js";
import type { GatewayContext } from "../methods/context.js";
import type { MethodDef, MethodRegistry } from "../methods/registry.js";
import type { EmitFn } from "../runs/events.js";
import { HttpSurface, isWebSocketPath } from "./http.js";
import { probeRoutes } from "./probes.js";
import { Runtime } from "./runtime.js";
import { type GatewaySecret, resolveSecret } from "./secret.js";
import { buildProtocol } from "./services.js";

export interface StartOptions {
  config: Config;
  stateDir: string;
  logger?: Logger;
  /** Validation result per section and the config hash, when the config came from loadConfig. */
  loaded?: Pick<LoadedConfig, "sections" | "hash" | "path"> & Partial<Pick<LoadedConfig, "exists">>;
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
  /** The services object handlers receive (events, connections, health, config, …). */
  context: GatewayContext;
  registry: MethodRegistry<GatewayContext>;
  /** Stops accepting, runs every shutdown hook, releases the lock. Idempotent. */
  close(reason?: string): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Shutdown hooks run in reverse registration order, each bounded by the overall shutdown timeout. */
export type ShutdownHook = { name: string; run: (reason: string) => unknown | Promise<unknown> };

/** Starts a gateway. Resolves once the port is bound; startup steps continue in the background. */
export async function start(options: StartOptions): Promise<GatewayHandle> {
  const { config, stateDir } = options;
  const logger = options.logger ?? silentLogger();
  const startedAt = Date.now();
  const startup = new StartupSteps();
  const subsystems = new Subsystems();
  const hooks: ShutdownHook[] = [];
  const lifetime = new AbortController();
  let draining = false;

  // Pre-listen: these must hold before anything is served (a second gateway must not answer).
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const lock = acquireStateLock(stateDir);
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

  const sentinel = new RestartSentinel(stateDir, config.gateway.restartBackoff, options.now);
  const sleep = options.sleep ?? abortableSleep;
  startup.add({
    name: "restart-backoff",
    run: async (signal) => {
      const decision = sentinel.recordStart();
      if (decision.note) logger.warn(decision.note);
      if (decision.delayMs > 0) {
        const msg = `waiting ${decision.delayMs} ms before startup work after ${decision.rapidCount} rapid restarts`;
        startup.detail("restart-backoff", msg);
        logger.warn({ rapidCount: decision.rapidCount, delayMs: decision.delayMs }, msg);
        await sleep(decision.delayMs, signal);
      }
    },
  });
  startup.add({
    name: "hooks",
    run: () => {
      const result = options.loaded?.sections.hooks;
      if (result && !result.ok) {
        const reason = result.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
        subsystems.set("hooks", "disabled", reason);
        logger.error({ problems: result.problems }, `hooks disabled: ${reason}`);
      } else if (!config.hooks.enabled) subsystems.set("hooks", "off");
      else subsystems.set("hooks", "disabled", "webhooks are not available in this version of keel");
    },
  });
  // Late-bound: run events go out through the socket layer built below.
  let broadcast: EmitFn = () => {};
  const runtime = new Runtime({
    config,
    stateDir,
    logger,
    subsystems,
    emit: (e, p, o) => broadcast(e, p, o),
  });
  for (const step of runtime.steps()) startup.add(step);
  for (const step of options.steps ?? []) startup.add(step);

  const router = new Router({ onError: (err) => logger.error({ err }, "http handler failed") }).add(
    probeRoutes({
      phase: () =>
        draining
          ? "draining"
          : startup.phase === "ready"
            ? "started"
            : startup.phase === "failed"
              ? "failed"
              : "starting",
      ready: () => subsystems.allSettled(),
    }),
  );
  for (const family of options.routes ?? []) router.add(family.routes, family.mount);
  const http = new HttpSurface(router, logger);
  // Node 24.9+ reads shouldUpgradeCallback and sends other Upgrade requests to the request
  // listener, body and all; Node 20 ignores it and the `upgrade` listener below answers them.
  const server = createServer(
    { shouldUpgradeCallback: (req: { url?: string }) => isWebSocketPath(req.url) } as object,
    http.onRequest,
  );
  server.on("upgrade", (req, socket) => {
    if (!isWebSocketPath(req.url)) http.answerUpgrade(req, socket);
  });
  server.keepAliveTimeout = 5_000;
  hooks.push({ name: "http", run: () => closeServer(server) });
  // Runs after the sockets closed (hooks run in reverse): nothing can write to the store any more.
  hooks.push({ name: "sessions", run: () => runtime.closeStore() });

  const host = config.gateway.bind === "lan" ? "0.0.0.0" : "127.0.0.1";
  const { context, registry, sockets, health } = buildProtocol({
    config,
    stateDir,
    loaded: options.loaded,
    methods: options.methods ?? [],
    events: options.events ?? [],
    pingIntervalMs: options.pingIntervalMs,
    server,
    secret,
    logger,
    startedAt,
    startup,
    subsystems,
    host,
    runtime,
  });
  broadcast = (event, payload, opts) => context.events.broadcast(event, payload, opts);
  // Registered after "http" so it runs first: clients get `shutdown` and 1012 before the listener goes.
  hooks.push({ name: "health", run: () => health.close() });
  hooks.push({
    name: "websocket",
    run: (reason) =>
      sockets.close({ reason, drainMs: Math.min(2_000, config.gateway.shutdownTimeoutMs / 4) }),
  });
  // First of all: end every run, persisting partial text, while clients can still see its events.
  hooks.push({ name: "runs", run: () => runtime.shutdownRuns() });
  hooks.push(...(options.shutdownHooks ?? []));

  try {
    await listen(server, config.gateway.port, host);
  } catch (err) {
    health.close();
    await sockets.close({ reason: "listen failed", drainMs: 0 });
    lock.release();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  context.listener.port = port;
  const shownHost = host === "0.0.0.0" ? "127.0.0.1" : host;
  logger.info({ port, bind: config.gateway.bind }, `keel gateway listening on ws://${shownHost}:${port}`);

  // Uptime long enough to count as stable: the next start is not part of a crash loop.
  const stableTimer = setTimeout(() => sentinel.markStable(), config.gateway.restartBackoff.stableAfterMs);
  stableTimer.unref();

  const ready = startup.run(lifetime.signal).then(
    () => logger.info({ ms: Date.now() - startedAt }, "startup complete"),
    (err: Error) => {
      if (!lifetime.signal.aborted) logger.error({ err }, `startup failed: ${err.message}`);
      throw err;
    },
  );
  // Nobody may be awaiting `ready`; the failure is logged above and the caller decides.
  ready.catch(() => {});

  let closing: Promise<void> | undefined;
  const close = (reason = "shutdown"): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      clearTimeout(stableTimer);
      lifetime.abort(new Error(`gateway closing: ${reason}`));
      await runHooks([...hooks].reverse(), reason, Date.now() + config.gateway.shutdownTimeoutMs, logger);
      sentinel.markCleanExit();
      lock.release();
      logger.info({ reason }, "gateway stopped");
    })();
    return closing;
  };

  return {
    url: `http://${shownHost}:${port}`,
    wsUrl: `ws://${shownHost}:${port}`,
    port,
    ready,
    startup,
    subsystems,
    secret,
    context,
    registry,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/** Thrown when the port is taken: one line naming the port and what to do. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(
      `port ${port} is already in use (another keel gateway or program is listening); stop it, or pick another port with --port or KEEL_GATEWAY_PORT`,
    );
    this.name = "PortInUseError";
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === "EADDRINUSE" ? new PortInUseError(port) : err);
    };
    server.once("error", onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/**
 * Runs the hooks in order within one deadline: each gets what is left of it. A hook that never
 * settles is left behind with a warning; the later ones (the store, the listener) still run, and
 * once the deadline has passed each is still started (its synchronous part runs) but not awaited.
 */
async function runHooks(hooks: readonly ShutdownHook[], reason: string, deadline: number, logger: Logger) {
  for (const hook of hooks) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(() => hook.run(reason)), timedOut]);
      if (outcome === "timeout")
        logger.warn({ hook: hook.name }, "shutdown hook timed out; going on without it");
    } catch (err) {
      logger.warn({ err, hook: hook.name }, "shutdown hook failed");
    } finally {
      clearTimeout(timer);
    }
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // Keep-alive sockets with a request in flight get a moment, then go.
    setTimeout(() => server.closeAllConnections(), 1_000).unref();
  });
}
