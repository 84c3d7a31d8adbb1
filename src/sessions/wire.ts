// Store rows → the wire shapes of sessions.list rows and chat.history messages (spec §2).
import type { Config, ModelRef } from "../config/schema.js";
import type { SessionView, StoredPart, TranscriptMessage } from "./store.js";

/** The `kind` of a session key as sessions.list reports it. */
export type SessionKind = "direct" | "group" | "global" | "unknown";

export function sessionKind(key: string): SessionKind {
  if (key === "global" || key === "unknown") return key;
  return /:(group|channel|room):/.test(key) ? "group" : "direct";
}

/** One row of `sessions.list`; optional fields are left out rather than sent as null. */
export interface SessionListRow {
  key: string;
  kind: SessionKind;
  label?: string;
  displayName?: string;
  updatedAt: number;
  sessionId: string;
  model?: string;
  modelProvider?: string;
  thinkingLevel?: string;
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  contextTokens?: number;
  hasActiveRun?: boolean;
  /** Archived by a client (sessions.patch): hidden from the default list, kept, restorable. */
  archived: boolean;
  archivedAt?: number;
  archiveReason?: string;
  /** Keel: when a reset or delete retired this row (listed with `retired: true`). */
  retiredAt?: number;
  /** How the latest run ended: ok, error, aborted, or interrupted (the gateway died mid-run). */
  lastRunStatus?: string;
}

export function toListRow(e: SessionView, hasActiveRun: boolean): SessionListRow {
  const row: SessionListRow = {
    key: e.key,
    kind: sessionKind(e.key),
    updatedAt: e.updatedAt,
    sessionId: e.sessionId,
    archived: e.archivedAt !== undefined,
  };
  if (e.label !== undefined) row.label = e.label;
  if (e.displayName !== undefined) row.displayName = e.displayName;
  if (e.modelOverride !== undefined) row.model = e.modelOverride;
  if (e.providerOverride !== undefined) row.modelProvider = e.providerOverride;
  if (e.thinkingLevel !== undefined) row.thinkingLevel = e.thinkingLevel;
  if (e.totalTokens > 0) {
    row.inputTokens = e.inputTokens;
    row.outputTokens = e.outputTokens;
    row.totalTokens = e.totalTokens;
  }
  if (e.contextTokens !== undefined) row.contextTokens = e.contextTokens;
  if (e.archivedAt !== undefined) row.archivedAt = e.archivedAt;
  if (e.archiveReason !== undefined) row.archiveReason = e.archiveReason;
  if (e.retiredAt !== undefined) row.retiredAt = e.retiredAt;
  if (e.lastRunStatus !== undefined) row.lastRunStatus = e.lastRunStatus;
  row.hasActiveRun = hasActiveRun;
  return row;
}

/** `sessions.list` defaults: the default agent's (or `agentId`'s) primary model and its context window. */
export function listDefaults(
  config: Config,
  agentId = config.agents.defaultId,
): {
  modelProvider: string | null;
  model: string | null;
  contextTokens: number;
} {
  const agent = config.agents.entries[agentId];
  const ref = primaryRef(agent?.model ?? config.agents.defaults.model);
  if (!ref) return { modelProvider: null, model: null, contextTokens: config.models.defaultContextWindow };
  const slash = ref.indexOf("/");
  const provider = ref.slice(0, slash);
  const model = ref.slice(slash + 1);
  const configured = config.models.providers[provider]?.models.find((m) => m.id === model);
  return {
    modelProvider: provider,
    model,
    contextTokens: configured?.contextWindow ?? config.models.defaultContextWindow,
  };
}

function primaryRef(ref: ModelRef | undefined): string | undefined {
  if (ref === undefined) return undefined;
  return typeof ref === "string" ? ref : ref.primary;
}

/** Meta keys that chat.history shows at the top level of a message, as the reference does. */
const SHOWN_META = ["aborted", "stopReason", "usage", "provider", "model", "api", "errorMessage"] as const;

/**
 * A transcript row as chat.history sends it: user and system content as a string, assistant
 * content as `[{type:"text", text}]`, with `__openclaw {id, seq, runId?}` for dedupe and paging.
 * Rich rows use the reference's part names: `thinking {thinking}`, `toolCall {id, name,
 * arguments}`, `image {data, mimeType}` or `{url}`; a row of tool results is a `toolResult`
 * message per result. Text longer than `maxChars` is cut, and the cut is said in the text.
 */
export function toWireMessage(m: Readonly<TranscriptMessage>, maxChars?: number): Record<string, unknown> {
  const cut = (t: string) =>
    maxChars !== undefined && t.length > maxChars
      ? `${t.slice(0, maxChars)}\n…[truncated ${t.length - maxChars} chars]`
      : t;
  const text = cut(m.content);
  const out: Record<string, unknown> = {
    role: m.role,
    content: wireContent(m, text, cut),
    timestamp: m.timestamp,
  };
  const result = m.parts?.find((p) => p.type === "tool_result");
  if (result) {
    out.role = "toolResult";
    out.toolCallId = result["callId"];
    out.isError = result["isError"] === true;
  }
  for (const k of SHOWN_META) if (m.meta?.[k] !== undefined) out[k] = m.meta[k];
  if (m.idempotencyKey !== undefined) out.idempotencyKey = m.idempotencyKey;
  out.__openclaw = { id: m.id, seq: m.seq, ...(m.runId === undefined ? {} : { runId: m.runId }) };
  return out;
}

function wireContent(m: Readonly<TranscriptMessage>, text: string, cut: (t: string) => string): unknown {
  if (!m.parts || m.parts.length === 0) return m.role === "assistant" ? [{ type: "text", text }] : text;
  return m.parts.map((p) => wirePart(p, cut));
}

/** One stored part in the reference's message shape. */
function wirePart(p: StoredPart, cut: (t: string) => string): Record<string, unknown> {
  switch (p.type) {
    case "text":
      return { type: "text", text: cut(String(p["text"] ?? "")) };
    case "thinking":
      return { type: "thinking", thinking: cut(String(p["text"] ?? "")) };
    case "tool_call":
      return { type: "toolCall", id: p["id"], name: p["name"], arguments: parseArguments(p["arguments"]) };
    case "tool_result":
      return { type: "text", text: cut(String(p["content"] ?? "")) };
    case "image": {
      const src = (p["source"] ?? {}) as Record<string, unknown>;
      return src["kind"] === "base64"
        ? { type: "image", data: src["data"], mimeType: src["mediaType"] }
        : { type: "image", url: src["url"] };
    }
    default:
      return { ...p };
  }
}

/** Tool-call arguments as an object (the model's JSON text), or the raw text when it is not JSON. */
function parseArguments(args: unknown): unknown {
  if (typeof args !== "string") return args ?? {};
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}
