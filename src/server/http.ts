// The HTTP side of the gateway port: every request, and every Upgrade that is not a WebSocket.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type IncomingRequest, Router } from "../http/router.js";
import { writeRawReply, writeReply } from "../http/write.js";
import type { Logger } from "../lifecycle/logger.js";
import type { StartupSteps } from "../lifecycle/startup.js";
import type { RouteFamily } from "./openai.js";
import { type ProbeState, probeRoutes } from "./probes.js";

/** The one path WebSocket clients upgrade on (every recorded OpenClaw client uses `/`). */
export const WEBSOCKET_PATH = "/";

/** Whether an Upgrade request is for the WebSocket listener (path `/`, query ignored). */
export function isWebSocketPath(url: string | undefined): boolean {
  const target = url ?? "/";
  const q = target.indexOf("?");
  return (q === -1 ? target : target.slice(0, q)) === WEBSOCKET_PATH;
}

/** How long a peer answered on an Upgrade socket gets to close it before it is destroyed. */
const UPGRADE_LINGER_MS = 2_000;

/** Serves the router on a Node HTTP server. */
export class HttpSurface {
  /** `clientIp`: the caller's address as handlers see it (`gateway.trustedProxies` honoured). */
  constructor(
    private readonly router: Router,
    private readonly logger: Logger,
    private readonly clientIp: (req: IncomingMessage) => string = (req) =>
      req.socket.remoteAddress ?? "unknown",
  ) {}

  /** The `request` listener. */
  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const controller = new AbortController();
    // 'close' on the response before it finished means the caller went away mid-reply.
    res.once("close", () => {
      if (!res.writableFinished) controller.abort(new Error("client closed the connection"));
    });
    void this.serve(
      incoming(req, this.clientIp(req), controller.signal, req),
      (reply) => writeReply(res, reply, req.method === "HEAD"),
      () => res.destroy(),
    );
  };

  /**
   * Answers an Upgrade request on a non-WebSocket path with the router's normal reply, so a
   * probe answers 200 and an API path its usual status whatever Upgrade header it carries.
   * Node 20 hands every Upgrade request to the `upgrade` listener (it has no
   * `shouldUpgradeCallback`); Node parsed no body for it, so a route that reads one gets a 400.
   */
  answerUpgrade(req: IncomingMessage, socket: Duplex): void {
    // The HTTP server removed its own error listener when it handed the socket over.
    socket.on("error", () => {});
    const controller = new AbortController();
    socket.once("close", () => controller.abort(new Error("client closed the connection")));
    void this.serve(
      incoming(req, this.clientIp(req), controller.signal, null),
      (reply) => writeRawReply(socket, reply, req.method === "HEAD"),
      () => socket.destroy(),
    ).then(() => {
      // Node stopped reading this socket when it handed it over. Discard what the peer still
      // sends so its FIN is seen, and give it a moment to close: a lingering half-open socket
      // would otherwise hold server.close() at shutdown.
      socket.resume();
      setTimeout(() => socket.destroy(), UPGRADE_LINGER_MS).unref();
    });
  }

  private async serve(
    req: IncomingRequest,
    write: (reply: Awaited<ReturnType<Router["handle"]>>) => Promise<void>,
    destroy: () => void,
  ): Promise<void> {
    try {
      await write(await this.router.handle(req));
    } catch (err) {
      // Headers may be out already (a stream that failed midway): the connection is all we can end.
      this.logger.warn({ err, url: req.url }, "http reply failed");
      destroy();
    }
  }
}

function incoming(
  req: IncomingMessage,
  ip: string,
  signal: AbortSignal,
  body: IncomingMessage | null,
): IncomingRequest {
  return {
    method: req.method ?? "GET",
    url: req.url ?? "/",
    headers: req.headers,
    ip,
    signal,
    body,
  };
}

/**
 * The HTTP server over `router`. Upgrades are only for the WebSocket path; Node 24.9+ reads
 * shouldUpgradeCallback and sends other Upgrade requests to the request listener, body and all;
 * Node 20 ignores it and the `upgrade` listener answers them.
 */
export function createHttpServer(
  router: Router,
  logger: Logger,
  clientIp: (req: IncomingMessage) => string,
): Server {
  const http = new HttpSurface(router, logger, clientIp);
  const server = createServer(
    {
      shouldUpgradeCallback: (req: { url?: string }) => isWebSocketPath(req.url),
      // How often Node checks the header/request timeouts (its default, 30 s, would let a
      // half-sent request outlive a 5 s gateway.http.headersTimeoutMs sixfold).
      connectionsCheckingInterval: 1_000,
    } as object,
    http.onRequest,
  );
  server.on("upgrade", (req, socket) => {
    if (!isWebSocketPath(req.url)) http.answerUpgrade(req, socket);
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

/**
 * The one router: the probes, then the caller's route families. The built-in families (/v1,
 * hooks) are added once the services object they read exists.
 */
export function httpRouter(logger: Logger, probes: ProbeState, families: readonly RouteFamily[]): Router {
  const router = new Router({ onError: (err) => logger.error({ err }, "http handler failed") });
  router.add(probeRoutes(probes));
  for (const family of families) router.add(family.routes, family.mount);
  return router;
}

/** What the probes say of the gateway's phase: draining once closing, else the startup's. */
export function probePhase(draining: boolean, startup: StartupSteps): ReturnType<ProbeState["phase"]> {
  if (draining) return "draining";
  if (startup.phase === "ready") return "started";
  return startup.phase === "failed" ? "failed" : "starting";
}
