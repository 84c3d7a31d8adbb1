// `logs.tail`: the gateway log over RPC, paged by byte cursor (lifecycle/log-tail.ts reads the file).
import { type TSchema, Type } from "@sinclair/typebox";
import { tailLog } from "../lifecycle/log-tail.js";
import type { LogsTailResult } from "../protocol/results.js";
import { defineMethod, type MethodDef } from "./registry.js";

export type { LogsTailResult };

/** What `logs.tail` needs: where the gateway writes its log. */
export interface LogsDeps {
  gateway: { logFile: string };
}

/** pino's numeric levels by the names the reference's log lines carry in `_meta.logLevelName`. */
const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** pino's own fields; everything else on a line is the record's context. */
const PINO_FIELDS = new Set(["level", "time", "pid", "hostname", "msg", "subsystem", "module"]);

/**
 * One of Keel's pino lines as the reference's clients parse a log line, its own fields kept:
 * the message as field "0" and the line's other fields as "1" (the reference CLI joins the
 * numbered fields into the message it shows), and `_meta {logLevelName, date, name}` (the level,
 * the ISO time, and `{"subsystem"}` / `{"module"}` as JSON when the line names one). A line that
 * is not a JSON object passes unchanged.
 */
export function wireLogLine(line: string): string {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return line;
  }
  if (rec === null || typeof rec !== "object" || Array.isArray(rec)) return line;
  const r = rec as Record<string, unknown>;
  const context = Object.fromEntries(Object.entries(r).filter(([k]) => !PINO_FIELDS.has(k)));
  const name =
    typeof r["subsystem"] === "string"
      ? JSON.stringify({ subsystem: r["subsystem"] })
      : typeof r["module"] === "string"
        ? JSON.stringify({ module: r["module"] })
        : "keel";
  const level = typeof r["level"] === "number" ? LEVEL_NAMES[r["level"]] : undefined;
  const meta = {
    ...(level ? { logLevelName: level } : {}),
    ...(typeof r["time"] === "number" ? { date: new Date(r["time"]).toISOString() } : {}),
    name,
  };
  return JSON.stringify({
    ...r,
    "0": typeof r["msg"] === "string" ? r["msg"] : "",
    ...(Object.keys(context).length > 0 ? { "1": context } : {}),
    _meta: meta,
  });
}

export const logsTail = defineMethod({
  name: "logs.tail",
  scope: "operator.read",
  params: Type.Object(
    {
      cursor: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5_000 })),
      maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    },
    { additionalProperties: false },
  ),
  handler: async (ctx: LogsDeps, params) => {
    const r = await tailLog(ctx.gateway.logFile, params);
    // `truncated` and `reset` always present, as the reference sends them.
    return { truncated: false, reset: false, ...r, lines: r.lines.map(wireLogLine) };
  },
});

export const logsMethods: MethodDef<TSchema, LogsDeps>[] = [logsTail];
