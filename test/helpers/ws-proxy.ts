// Test helper: a loopback WebSocket proxy in front of a gateway that records every frame both ways.
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import type { RecordedLine } from "./recorded.js";

/** One request a client sent through the proxy and the gateway's answer to it (if any came). */
export interface Exchange {
  conn: number;
  method: string;
  params: unknown;
  /** undefined: the socket closed before the answer. */
  ok: boolean | undefined;
  payload?: unknown;
  error?: { code?: string; message?: string };
}

export interface RecordingProxy {
  /** ws://127.0.0.1:PORT of the proxy. */
  url: string;
  port: number;
  /** Every frame since the last `reset()`, in the recordings' line format (`conn` counts from 1). */
  lines: RecordedLine[];
  /** `METHOD /path` of each plain HTTP request since the last `reset()` (passed on to the gateway). */
  http: string[];
  /** Forgets the recorded frames and restarts the connection count (call before each command). */
  reset(): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Close codes a peer may not send itself (1005, 1006, 1015 only describe what happened). */
const sendable = (code: number) =>
  (code >= 3000 && code <= 4999) || [1000, 1001, 1008, 1011, 1013].includes(code);

/**
 * A proxy on 127.0.0.1 port 0: each client socket gets its own upstream socket to `target`
 * (ws://host:port); frames pass unchanged both ways and are recorded, a close on one side closes
 * the other. Plain HTTP requests (health probes) are passed on to the gateway as they are.
 */
export async function recordingProxy(target: string): Promise<RecordingProxy> {
  const upstreamUrl = new URL(target);
  let http: string[] = [];
  const httpServer = createServer((req, res) => {
    http.push(`${req.method} ${req.url}`);
    const out = request(
      {
        host: upstreamUrl.hostname,
        port: upstreamUrl.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  const server = new WebSocketServer({ server: httpServer });
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(0, "127.0.0.1", resolve);
  });
  let lines: RecordedLine[] = [];
  let conns = 0;
  const started = Date.now();
  const sockets = new Set<WebSocket>();
  server.on("connection", (client) => {
    const conn = ++conns;
    const log = lines;
    const record = (dir: "c2s" | "s2c", data: WebSocket.RawData) => {
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        frame = { unparsed: data.toString() };
      }
      log.push({ t: Date.now() - started, conn, dir, frame });
    };
    const upstream = new WebSocket(target);
    sockets.add(client).add(upstream);
    // The client speaks first only after the challenge, but buffer anyway: it costs nothing.
    const pending: WebSocket.RawData[] = [];
    upstream.on("open", () => {
      for (const d of pending.splice(0)) upstream.send(d.toString());
    });
    client.on("message", (data) => {
      record("c2s", data);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data.toString());
      else pending.push(data);
    });
    upstream.on("message", (data) => {
      record("s2c", data);
      if (client.readyState === WebSocket.OPEN) client.send(data.toString());
    });
    const closeOther = (other: WebSocket) => (code: number, reason: Buffer) => {
      if (other.readyState === WebSocket.CLOSED || other.readyState === WebSocket.CLOSING) return;
      if (other.readyState === WebSocket.CONNECTING) other.terminate();
      else if (sendable(code)) other.close(code, reason.toString());
      else other.close();
    };
    client.on("close", closeOther(upstream));
    upstream.on("close", closeOther(client));
    client.on("close", () => sockets.delete(client));
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.terminate());
    client.on("error", () => upstream.terminate());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const close = async () => {
    for (const s of sockets) s.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  };
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    get lines() {
      return lines;
    },
    get http() {
      return http;
    },
    reset() {
      lines = [];
      http = [];
      conns = 0;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The requests in `lines` (recorded here or by the reference) paired with their answers, in request order. */
export function exchanges(lines: readonly RecordedLine[]): Exchange[] {
  const out: Exchange[] = [];
  const open = new Map<string, Exchange>();
  for (const { conn, dir, frame } of lines) {
    if (dir === "c2s" && frame?.type === "req") {
      const ex: Exchange = { conn, method: frame.method, params: frame.params, ok: undefined };
      open.set(`${conn}:${frame.id}`, ex);
      out.push(ex);
    } else if (dir === "s2c" && frame?.type === "res") {
      const ex = open.get(`${conn}:${frame.id}`);
      // A second res with the same id (agent's final answer after "accepted") replaces the first.
      if (!ex) continue;
      ex.ok = frame.ok === true;
      if (ex.ok) {
        ex.payload = frame.payload;
        delete ex.error;
      } else ex.error = frame.error;
    }
  }
  return out;
}

/** `method ok|ERR CODE` per request, e.g. for a readable comparison with the reference's sequence. */
export function outline(lines: readonly RecordedLine[]): string[] {
  return exchanges(lines).map(
    (e) => `${e.method} ${e.ok === undefined ? "(no answer)" : e.ok ? "ok" : `ERR ${e.error?.code ?? "?"}`}`,
  );
}
