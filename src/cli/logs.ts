// `keel logs [--follow]`: the gateway's log through `logs.tail`, paged by byte cursor (the local file when it is down).

import type { ClientStatus, GatewayClient } from "../client/client.js";
import { abortableSleep } from "../client/connect.js";
import type { LogsTailResult } from "../protocol/results.js";
import { EXIT } from "./errors.js";
import { localLogFallback, readLocalLog } from "./logs-local.js";
import { Out } from "./output.js";
import { withGateway } from "./session.js";
import type { ClientFlags } from "./target.js";

export interface LogsFlags extends ClientFlags {
  follow?: boolean;
  limit?: number;
  /** Poll interval of --follow (ms). */
  interval?: number;
}

const DEFAULT_LIMIT = 200;
const DEFAULT_INTERVAL_MS = 1_000;

/** Prints the last lines; with --follow keeps polling from the cursor until Ctrl+C. */
export async function logs(flags: LogsFlags): Promise<number> {
  const out = new Out();
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  if (flags.follow) process.once("SIGINT", onSigint);
  try {
    await withGateway(
      flags,
      { scopes: ["operator.read"], reconnect: flags.follow === true },
      async (client) => {
        const first = await client.request<LogsTailResult>("logs.tail", {
          limit: flags.limit ?? DEFAULT_LIMIT,
        });
        print(out, first.lines, flags.json === true);
        if (flags.follow) await follow(client, first.cursor, flags, out, stop.signal);
      },
    );
  } catch (err) {
    const file = await localLogFallback(flags, err);
    if (!file) throw err;
    // stderr, so `keel logs > file` still captures only log lines.
    process.stderr.write(`keel: the gateway is not running; reading ${file}\n`);
    const options = {
      limit: flags.limit ?? DEFAULT_LIMIT,
      follow: flags.follow === true,
      intervalMs: flags.interval ?? DEFAULT_INTERVAL_MS,
      signal: stop.signal,
    };
    await readLocalLog(file, options, (lines) => print(out, lines, flags.json === true));
  } finally {
    process.off("SIGINT", onSigint);
  }
  return EXIT.ok;
}

async function follow(
  client: GatewayClient,
  start: number,
  flags: LogsFlags,
  out: Out,
  signal: AbortSignal,
): Promise<void> {
  let cursor = start;
  let final: Error | undefined;
  const off = client.onStatus((s: ClientStatus) => {
    // Notices go to stderr so `keel logs -f > file` captures only log lines.
    if (s.type === "disconnected")
      process.stderr.write(`keel: lost the gateway (${s.explanation}); reconnecting…\n`);
    if (s.type === "connected") process.stderr.write("keel: reconnected\n");
    if (s.type === "closed") final = s.error ?? new Error("connection closed");
  });
  try {
    while (!signal.aborted) {
      if (final) throw final;
      if (!client.connected) {
        await abortableSleep(flags.interval ?? DEFAULT_INTERVAL_MS, signal);
        continue;
      }
      let page: LogsTailResult;
      try {
        page = await client.request<LogsTailResult>("logs.tail", {
          cursor,
          limit: 1_000,
        });
      } catch (err) {
        if (client.connected) throw err;
        continue; // lost mid-request: the status listener reports it, reconnect takes over
      }
      if (page.reset)
        process.stderr.write(`keel: ${page.file} was rotated or truncated; following the new file\n`);
      print(out, page.lines, flags.json === true);
      cursor = page.cursor;
      // More is waiting: fetch it now instead of after the interval.
      if (!page.truncated) await abortableSleep(flags.interval ?? DEFAULT_INTERVAL_MS, signal);
    }
  } finally {
    off();
  }
}

function print(out: Out, lines: readonly string[], json: boolean): void {
  for (const l of lines) out.line(json ? l : formatLine(out, l));
}

const LEVELS: Record<number, [string, "dim" | "green" | "yellow" | "red" | undefined]> = {
  10: ["TRACE", "dim"],
  20: ["DEBUG", "dim"],
  30: ["INFO ", "green"],
  40: ["WARN ", "yellow"],
  50: ["ERROR", "red"],
  60: ["FATAL", "red"],
};

/** A pino JSON line as `HH:MM:SS.mmm LEVEL message key=value…`; other lines unchanged. */
export function formatLine(out: Out, line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (rec === null || typeof rec !== "object") return line;
  // "0", "1" and _meta repeat msg, the context and the level for OpenClaw clients (logs.tail).
  const { level, time, msg, pid: _pid, hostname: _host, "0": _m, "1": _c, _meta: _meta, ...rest } = rec;
  const when = typeof time === "number" ? new Date(time).toISOString().slice(11, 23) : "";
  const [name, colour] = LEVELS[level as number] ?? [String(level ?? "?").padEnd(5), undefined];
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const lvl = colour ? out.paint(name, colour) : name;
  return [when, lvl, typeof msg === "string" ? msg : "", extra ? out.paint(extra, "dim") : ""]
    .filter(Boolean)
    .join(" ");
}
