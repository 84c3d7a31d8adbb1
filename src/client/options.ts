// GatewayClient's options, lifecycle notices and the `connect` params it sends.
import type { ClientInfo, ConnectParams, EventFrame, HelloOk } from "../protocol/frames.js";
import type { Scope } from "../protocol/scopes.js";

/**
 * The protocol version this client speaks (equal to protocol/frames.ts PROTOCOL_VERSION, checked
 * by a test). Not imported: frames.ts loads the schema library, which would cost the CLI ~50 ms.
 */
export const CLIENT_PROTOCOL = 4;

export interface GatewayClientOptions {
  /** `ws://host:port` of the gateway. */
  url: string;
  token?: string;
  password?: string;
  /** Scopes asked for explicitly (a shared-secret operator gets exactly these). */
  scopes?: readonly Scope[];
  caps?: readonly string[];
  /** Who we are; defaults to the CLI (`id: "cli"`, `mode: "cli"`). */
  client?: Partial<ClientInfo>;
  /** Overall budget of one connect, startup-sidecars retries included (default 15 s). */
  connectTimeoutMs?: number;
  /** Default per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
  /** Reconnect after an unexpected close, 1 s doubling to 30 s (off by default; the TUI turns it on). */
  reconnect?: boolean | { initialMs?: number; maxMs?: number };
}

export interface RequestOptions {
  timeoutMs?: number;
  /** For methods that answer twice (`agent`): skip the `status:"accepted"` res, resolve on the final one. */
  expectFinal?: boolean;
  /** Called with the `accepted` payload when `expectFinal` skips it. */
  onAccepted?: (payload: unknown) => void;
  signal?: AbortSignal;
}

/** Lifecycle notices: a lost connection, reconnect attempts, a seq gap, the final close. */
export type ClientStatus =
  | { type: "disconnected"; code: number; reason: string; explanation: string; willReconnect: boolean }
  | { type: "reconnecting"; attempt: number; delayMs: number }
  | { type: "connected"; hello: HelloOk }
  | { type: "gap"; expected: number; received: number }
  | { type: "listener-error"; error: unknown }
  | { type: "closed"; error?: Error };

export type EventListener = (payload: unknown, frame: EventFrame) => void;

/** The `connect` params for these options (protocol 4, role operator, explicit scopes). */
export function connectParams(options: GatewayClientOptions): ConnectParams {
  const client: ClientInfo = {
    id: "cli",
    mode: "cli",
    version: "0.0.0",
    platform: process.platform,
    ...options.client,
  } as ClientInfo;
  // Both may be sent: the gateway checks the one its auth mode uses.
  const auth = {
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  };
  return {
    minProtocol: CLIENT_PROTOCOL,
    maxProtocol: CLIENT_PROTOCOL,
    client,
    role: "operator",
    scopes: [...(options.scopes ?? ["operator.read"])],
    caps: [...(options.caps ?? [])],
    ...(Object.keys(auth).length > 0 ? { auth } : {}),
  };
}
