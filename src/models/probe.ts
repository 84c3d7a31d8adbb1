// A cheap provider check for `keel doctor` and `keel models`: GET <baseUrl>/models (Anthropic: <root>/v1/models) with the provider's key.
import type { ProviderConfig } from "../config/schema.js";
import { ANTHROPIC_VERSION, anthropicMessagesUrl } from "./anthropic-messages.js";

/**
 * What one probe found. `ok`: the provider answered 2xx (its model ids in `models` when it sent an
 * OpenAI-style list). `auth`: 401/403, the key is wrong or missing. `refused`: nothing listens.
 * `unreachable`: DNS or routing failed. `timeout`: no answer within the budget. `http`: any other
 * status (404 usually means a baseUrl without its `/v1`).
 */
export type ProbeState = "ok" | "auth" | "refused" | "unreachable" | "timeout" | "http";

export interface ProbeResult {
  state: ProbeState;
  /** The URL that was asked. */
  url: string;
  /** HTTP status, when the provider answered at all. */
  status?: number;
  /** One line: what happened, in the provider's words where it gave some. */
  message: string;
  /** Model ids from the provider's own list (`data[].id`), when it sent one. */
  models?: string[];
  durationMs: number;
}

/** Default probe budget: long enough for a remote API, short enough for `doctor` to stay quick. */
export const PROBE_TIMEOUT_MS = 5_000;

/** Probes one provider. Never throws: every failure is a ProbeResult. */
export async function probeProvider(
  provider: Pick<ProviderConfig, "baseUrl" | "apiKey" | "headers"> & Partial<Pick<ProviderConfig, "api">>,
  timeoutMs: number = PROBE_TIMEOUT_MS,
): Promise<ProbeResult> {
  const anthropic = provider.api === "anthropic-messages";
  // Anthropic lists models at <root>/v1/models and takes its key as x-api-key.
  const url = anthropic
    ? anthropicMessagesUrl(provider.baseUrl).replace(/\/messages$/, "/models")
    : `${provider.baseUrl.replace(/\/+$/, "")}/models`;
  const headers: Record<string, string> = { accept: "application/json" };
  if (anthropic) headers["anthropic-version"] = ANTHROPIC_VERSION;
  if (provider.apiKey) {
    if (anthropic) headers["x-api-key"] = provider.apiKey;
    else headers["authorization"] = `Bearer ${provider.apiKey}`;
  }
  // As for chat requests: configured headers win, so a vendor's own auth header is sent too.
  for (const [name, value] of Object.entries(provider.headers ?? {})) headers[name.toLowerCase()] = value;
  const t0 = performance.now();
  const took = () => Math.round(performance.now() - t0);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (err) {
    return { url, durationMs: took(), ...transportFailure(err, timeoutMs) };
  }
  const status = response.status;
  const base = { url, status, durationMs: took() };
  if (status === 401 || status === 403) {
    return { ...base, state: "auth", message: `HTTP ${status}: ${vendorMessage(text)}` };
  }
  if (status < 200 || status >= 300) {
    return { ...base, state: "http", message: `HTTP ${status}: ${vendorMessage(text)}` };
  }
  const models = modelIds(text);
  const listed = models ? `, ${models.length} model(s) listed` : "";
  return { ...base, state: "ok", message: `HTTP ${status}${listed}`, ...(models ? { models } : {}) };
}

function transportFailure(err: unknown, timeoutMs: number): Pick<ProbeResult, "state" | "message"> {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") {
    return { state: "timeout", message: `no answer within ${timeoutMs} ms` };
  }
  const code = e.cause?.code;
  if (code === "ECONNREFUSED")
    return { state: "refused", message: "connection refused (nothing listens there)" };
  // undici reports a connect timeout as its own error code, not as our signal's TimeoutError.
  if (code === "UND_ERR_CONNECT_TIMEOUT") return { state: "timeout", message: "connect timed out" };
  const why = code ? `${code}: ${e.cause?.message ?? ""}`.trim() : (e.cause?.message ?? e.message ?? "");
  return { state: "unreachable", message: `cannot connect (${why.replace(/:$/, "")})` };
}

/** The vendor's `error.message` (OpenAI shape) or the first line of its body, kept short. */
function vendorMessage(text: string): string {
  let msg: unknown;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    msg = typeof body.error === "string" ? body.error : (body.error?.message ?? body.message);
  } catch {
    msg = undefined;
  }
  const line = (typeof msg === "string" ? msg : text).split("\n")[0]?.trim() ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line || "(empty body)";
}

function modelIds(text: string): string[] | undefined {
  try {
    const body = JSON.parse(text) as { data?: unknown };
    if (!Array.isArray(body.data)) return undefined;
    return body.data.flatMap((m) =>
      m !== null && typeof m === "object" && typeof (m as { id?: unknown }).id === "string"
        ? [(m as { id: string }).id]
        : [],
    );
  } catch {
    return undefined;
  }
}
