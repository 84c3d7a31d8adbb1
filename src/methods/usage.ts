// usage.cost: the durable per-run token records summed per day, priced by each model's configured cost.
import { Type } from "@sinclair/typebox";
import type { Config } from "../config/schema.js";
import { invalidRequest } from "../protocol/errors.js";
import { resolveSessionKey } from "../sessions/keys.js";
import type { SessionStore } from "../sessions/store.js";
import { type UsageGroup, usageDay } from "../sessions/usage-store.js";
import { defineMethod } from "./registry.js";

/** What usage.cost needs: the store's usage ledger and the config's model prices. */
export interface UsageDeps {
  store: Pick<SessionStore, "usage">;
  config: Config;
}

const DAY_MS = 86_400_000;
/** The reference CLI's default window. */
const DEFAULT_DAYS = 30;
const Day = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" });

export const UsageCostParams = Type.Object(
  {
    /** The last N days (UTC), today included. */
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_660 })),
    /** An explicit range instead (UTC dates, both included); `endDate` defaults to today. */
    startDate: Type.Optional(Day),
    endDate: Type.Optional(Day),
    /** Keel: one session's usage only. */
    sessionKey: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    agentId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** Token counts and their prices (USD), as the reference reports each day and the totals. */
interface Totals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  totalTokens: number;
  totalCost: number;
  inputCost: number;
  outputCost: number;
  cacheReadCost: number;
  cacheWriteCost: number;
  /** Runs of models with no `cost` configured (their tokens count, their price is unknown). */
  missingCostEntries: number;
}

const zero = (): Totals => ({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  totalTokens: 0,
  totalCost: 0,
  inputCost: 0,
  outputCost: 0,
  cacheReadCost: 0,
  cacheWriteCost: 0,
  missingCostEntries: 0,
});

/** Adds one group's tokens, priced per million at `cost` (undefined: unpriced), to `t`. */
function add(t: Totals, g: UsageGroup, cost: ModelCost | undefined): void {
  t.input += g.input;
  t.output += g.output;
  t.cacheRead += g.cacheRead;
  t.cacheWrite += g.cacheWrite;
  t.totalTokens += g.input + g.output + g.cacheRead + g.cacheWrite;
  if (!cost) {
    if (g.input + g.output + g.cacheRead + g.cacheWrite > 0) t.missingCostEntries += g.runs;
    return;
  }
  const inputCost = (g.input * cost.input) / 1e6;
  const outputCost = (g.output * cost.output) / 1e6;
  const cacheReadCost = (g.cacheRead * cost.cacheRead) / 1e6;
  const cacheWriteCost = (g.cacheWrite * cost.cacheWrite) / 1e6;
  t.inputCost += inputCost;
  t.outputCost += outputCost;
  t.cacheReadCost += cacheReadCost;
  t.cacheWriteCost += cacheWriteCost;
  t.totalCost += inputCost + outputCost + cacheReadCost + cacheWriteCost;
}

type ModelCost = { input: number; output: number; cacheRead: number; cacheWrite: number };

function priceOf(config: Config, provider: string, model: string): ModelCost | undefined {
  return config.models.providers[provider]?.models.find((m) => m.id === model)?.cost;
}

/** The UTC day range a request asks for, oldest first, as `YYYY-MM-DD` strings. */
function dayRange(p: { days?: number; startDate?: string; endDate?: string }, now: number): string[] {
  const end = p.endDate ?? usageDay(now);
  const endMs = Date.parse(`${end}T00:00:00Z`);
  const startMs = p.startDate
    ? Date.parse(`${p.startDate}T00:00:00Z`)
    : endMs - ((p.days ?? DEFAULT_DAYS) - 1) * DAY_MS;
  if (Number.isNaN(endMs) || Number.isNaN(startMs)) throw invalidRequest("invalid usage.cost date");
  const n = Math.round((endMs - startMs) / DAY_MS) + 1;
  if (n < 1 || n > 3_660) {
    throw invalidRequest(
      "invalid usage.cost range: startDate must be on or before endDate, at most 3660 days",
    );
  }
  return Array.from({ length: n }, (_, i) => usageDay(startMs + i * DAY_MS));
}

/**
 * Result, in the reference's shape: `{updatedAt, days, daily: [{date, …Totals}] (every day of
 * the range, oldest first), totals, cacheStatus}`; Keel adds `startDate`, `endDate`, and the same
 * figures `byModel` ({provider, model, runs, …}) and `byAgent` ({agentId, runs, …}). Days are UTC.
 * The records are written when each run ends, so nothing is ever pending (`cacheStatus.status`
 * is always "fresh").
 */
export const usageCost = defineMethod({
  name: "usage.cost",
  scope: "operator.read",
  params: UsageCostParams,
  handler: (ctx: UsageDeps, p) => {
    const now = Date.now();
    const days = dayRange(p, now);
    const from = days[0]!;
    const to = days[days.length - 1]!;
    const sessionKey =
      p.sessionKey === undefined ? undefined : resolveSessionKey(ctx.config, p.sessionKey, p.agentId).key;
    const groups = ctx.store.usage?.summarize({ from, to, ...(sessionKey ? { sessionKey } : {}) }) ?? [];
    const daily = new Map(days.map((d) => [d, { date: d, ...zero() }]));
    const totals = zero();
    const byModel = new Map<string, { provider: string; model: string; runs: number } & Totals>();
    const byAgent = new Map<string, { agentId: string; runs: number } & Totals>();
    for (const g of groups) {
      const cost = priceOf(ctx.config, g.provider, g.model);
      add(daily.get(g.day)!, g, cost);
      add(totals, g, cost);
      const mk = `${g.provider}/${g.model}`;
      const m = byModel.get(mk) ?? { provider: g.provider, model: g.model, runs: 0, ...zero() };
      m.runs += g.runs;
      add(m, g, cost);
      byModel.set(mk, m);
      const a = byAgent.get(g.agentId) ?? { agentId: g.agentId, runs: 0, ...zero() };
      a.runs += g.runs;
      add(a, g, cost);
      byAgent.set(g.agentId, a);
    }
    return {
      updatedAt: now,
      days: days.length,
      daily: [...daily.values()],
      totals,
      cacheStatus: { status: "fresh", cachedFiles: 0, pendingFiles: 0, staleFiles: 0 },
      startDate: from,
      endDate: to,
      ...(sessionKey ? { sessionKey } : {}),
      byModel: [...byModel.values()].sort((x, y) => y.totalTokens - x.totalTokens),
      byAgent: [...byAgent.values()].sort((x, y) => y.totalTokens - x.totalTokens),
    };
  },
});

/** The usage family, registered as one array. */
export const usageMethods = [usageCost];
