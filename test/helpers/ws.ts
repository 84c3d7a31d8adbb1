// Test helper: a raw WebSocket client that records every frame and the close code/reason.
import WebSocket from "ws";
import { TEST_TOKEN } from "./gateway.js";

export type Frame = any;

export interface Closed {
  code: number;
  reason: string;
}

let nextId = 0;

/** A `connect` request frame with sane defaults; `params` overrides are shallow-merged. */
export function connectFrame(params: Record<string, unknown> = {}, id = "c1"): Frame {
  return {
    type: "req",
    id,
    method: "connect",
    params: {
      minProtocol: 4,
      maxProtocol: 4,
      client: { id: "test", version: "1.0.0", platform: "linux", mode: "test" },
      auth: { token: TEST_TOKEN },
      ...params,
    },
  };
}

/** One socket: `frames` holds everything received, in order. */
export class TestSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()));
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on("error", () => {});
    this.closed = new Promise((resolve) => {
      ws.once("close", (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
    const ws = new WebSocket(url, options);
    const socket = new TestSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(socket));
      ws.once("error", reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The first received frame matching `pred` (already received or arriving within the timeout). */
  async next(pred: (f: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error("socket closed before the frame arrived");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; frames: ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  event(name: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === "event" && f.event === name, timeoutMs);
  }

  response(id: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === "res" && f.id === id, timeoutMs);
  }

  /** Sends a request and resolves with its (first) `res` frame. */
  async request(method: string, params?: unknown, timeoutMs?: number): Promise<Frame> {
    const id = `r${++nextId}`;
    this.send({ type: "req", id, method, ...(params === undefined ? {} : { params }) });
    return this.response(id, timeoutMs);
  }

  /** Sends `connect` and resolves with its `res`. */
  async connect(params: Record<string, unknown> = {}): Promise<Frame> {
    const id = `c${++nextId}`;
    this.send(connectFrame(params, id));
    return this.response(id);
  }

  close(): void {
    this.ws.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) {
      this.ws.terminate();
      await this.closed;
    }
  }
}

/** Opens a socket and completes `connect`; throws if the gateway refuses. */
export async function openClient(url: string, params: Record<string, unknown> = {}): Promise<TestSocket> {
  const s = await TestSocket.open(url);
  const res = await s.connect(params);
  if (!res.ok) throw new Error(`connect refused: ${JSON.stringify(res.error)}`);
  return s;
}
