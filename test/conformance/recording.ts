// Reads a recorded client transcript (test/fixtures/wire/clients/*.jsonl) into sockets, each with
// its connect params and every request the client sent, paired with the reference's answers.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type Json = any;

/** One request the client sent and every `res` the reference answered it with (agent: two). */
export interface RecordedCall {
  id: string;
  method: string;
  /** Absent when the client sent none (the CLI's `gateway call` without --params). */
  params: Json;
  responses: Json[];
}

/** One socket of the recording: its connect, the reference's answer, then its calls in send order. */
export interface RecordedSocket {
  conn: number;
  connect: Json;
  hello: Json;
  calls: RecordedCall[];
  /** Event names the reference sent on this socket (`connect.challenge` aside). */
  events: string[];
}

export const CLIENT_RECORDINGS = join(import.meta.dirname, "../fixtures/wire/clients");

/** The sockets of one recording file, in the order they were opened. */
export function readRecording(file: string): RecordedSocket[] {
  const lines = readFileSync(join(CLIENT_RECORDINGS, file), "utf8").split("\n").filter(Boolean);
  const sockets = new Map<number, RecordedSocket>();
  const byId = new Map<string, RecordedCall>();
  for (const line of lines) {
    const { conn, dir, frame } = JSON.parse(line) as { conn: number; dir: string; frame: Json };
    let s = sockets.get(conn);
    if (!s) sockets.set(conn, (s = { conn, connect: undefined, hello: undefined, calls: [], events: [] }));
    if (dir === "c2s" && frame?.type === "req") {
      if (frame.method === "connect") s.connect = frame;
      else {
        const call = { id: frame.id, method: frame.method, params: frame.params, responses: [] };
        s.calls.push(call);
        byId.set(`${conn}:${frame.id}`, call);
      }
    } else if (dir === "s2c" && frame?.type === "res") {
      if (s.connect && frame.id === s.connect.id) s.hello = frame;
      else byId.get(`${conn}:${frame.id}`)?.responses.push(frame);
    } else if (dir === "s2c" && frame?.type === "event" && frame.event !== "connect.challenge") {
      s.events.push(frame.event);
    }
  }
  return [...sockets.values()].filter((s) => s.connect !== undefined);
}

/** Every method a recording calls (connect aside). */
export function methodsOf(sockets: readonly RecordedSocket[]): string[] {
  return [...new Set(sockets.flatMap((s) => s.calls.map((c) => c.method)))];
}
