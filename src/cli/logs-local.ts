// `keel logs` with the gateway down: the same lines, read from the local <state>/logs/keel.log.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { abortableSleep } from "../client/connect.js";
import { logDir } from "../lifecycle/logger.js";
import { tailLog } from "../lifecycle/log-tail.js";
import { gatewayDown } from "./offline.js";
import { type ClientFlags, resolveTarget } from "./target.js";

/**
 * The local log file to read instead, when `err` says nothing listens where the local gateway
 * should (not for a remote --url: that gateway's log is not on this machine). Undefined when the
 * file does not exist either, so the caller reports the original error.
 */
export async function localLogFallback(flags: ClientFlags, err: unknown): Promise<string | undefined> {
  if (!gatewayDown(err)) return undefined;
  const target = await resolveTarget(flags);
  if (!target.local || target.stateDir === undefined) return undefined;
  const file = join(logDir(target.stateDir), "keel.log");
  return existsSync(file) ? file : undefined;
}

/** Prints the last `limit` lines of `file`; with `follow`, polls it from there until `signal`. */
export async function readLocalLog(
  file: string,
  options: { limit: number; follow: boolean; intervalMs: number; signal: AbortSignal },
  print: (lines: readonly string[]) => void,
): Promise<void> {
  const first = await tailLog(file, { limit: options.limit });
  print(first.lines);
  let cursor = first.cursor;
  while (options.follow && !options.signal.aborted) {
    const page = await tailLog(file, { cursor, limit: 1_000 });
    if (page.reset) process.stderr.write(`keel: ${file} was rotated or truncated; following the new file\n`);
    print(page.lines);
    cursor = page.cursor;
    if (!page.truncated) await abortableSleep(options.intervalMs, options.signal);
  }
}
