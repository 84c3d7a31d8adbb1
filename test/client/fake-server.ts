// Test helper: a tiny scripted WebSocket server for what a real gateway cannot be made to do
// (go silent after hello-ok, drop every connection). Real gateway tests cover everything else.
import { type WebSocket, WebSocketServer } from "ws";
import { refusedPort } from "../helpers/ports.js";

export interface FakeGateway {
  url: string;
  /** Every socket accepted so far. */
  sockets: WebSocket[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What the fake does with one connection after the challenge: answer connect or not. */
export type OnConnect = (ws: WebSocket, connectId: string, index: number) => void;

/** hello-ok with the given tick interval (the only policy field the client acts on). */
export function helloOk(tickIntervalMs: number) {
  return {
    type: "hello-ok",
    protocol: 4,
    server: { version: "fake", connId: "c" },
    features: { methods: ["health"], events: ["tick"] },
    snapshot: {
      presence: [],
      health: {},
      stateVersion: { presence: 0, health: 0 },
      uptimeMs: 0,
      sessionDefaults: { defaultAgentId: "main", mainKey: "main", mainSessionKey: "agent:main:main" },
      authMode: "token",
    },
    auth: { role: "operator", scopes: ["operator.read"] },
    policy: { maxPayload: 1 << 20, maxBufferedBytes: 1 << 20, tickIntervalMs },
  };
}

/** Starts the fake on 127.0.0.1:0. It sends the challenge, then hands `connect` to `onConnect`. */
export async function startFakeGateway(onConnect: OnConnect): Promise<FakeGateway> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const sockets: WebSocket[] = [];
  wss.on("connection", (ws) => {
    const index = sockets.push(ws) - 1;
    ws.send(
      JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "n", ts: Date.now() } }),
    );
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString());
      if (f.method === "connect") onConnect(ws, f.id, index);
    });
  });
  const { port } = wss.address() as { port: number };
  const close = async () => {
    for (const s of sockets) s.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  };
  return { url: `ws://127.0.0.1:${port}`, sockets, close, [Symbol.asyncDispose]: close };
}

/** A port nothing listens on (see refusedPort: no test server can take it meanwhile). */
export const freePort = refusedPort;
