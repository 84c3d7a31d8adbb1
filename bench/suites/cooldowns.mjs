// Failover benchmarks on loopback fake vendors (in process, through tsx): time from a
// failover-worthy error to the next candidate's first token, the all-cooling fast failure, and a
// healthy primary's turn through the chain and cooldowns against the bare adapter.
import { Cooldowns } from "../../src/models/cooldowns.ts";
import { FailoverProvider } from "../../src/models/failover.ts";
import { OpenAICompletionsProvider } from "../../src/models/openai-completions.ts";
import { ProviderTransport } from "../../src/models/transport.ts";
import { startFakeOpenAI } from "../../test/fixtures/fake-openai.ts";
import { stats } from "../lib.mjs";

export const name = "cooldowns";

const TURNS = 200;
const WARMUP = 20;

function candidate(id, fake) {
  const transport = new ProviderTransport(id, {
    timeoutSeconds: 60,
    connectTimeoutMs: 10_000,
    maxConnections: 8,
  });
  const provider = new OpenAICompletionsProvider(
    id,
    { baseUrl: fake.url },
    [{ id: `${id}:default`, apiKey: `sk-${id}` }],
    transport,
  );
  return {
    candidate: {
      ref: `${id}/m`,
      providerId: id,
      modelId: "m",
      provider,
      contextWindow: 128_000,
      endpoint: fake.url,
    },
    transport,
  };
}

const messages = [{ role: "user", content: "Say hello." }];

/**
 * Streams one turn; returns when the failing attempt's error came back (the primary's 500 reached
 * the chain, seen as the next `attempt` event) and when the first text of the next candidate arrived.
 */
async function turn(chain) {
  let attempts = 0;
  let failedAt;
  let textAt;
  for await (const ev of chain.stream({ model: "", messages, signal: new AbortController().signal })) {
    if (ev.type === "attempt" && ++attempts === 2) failedAt = performance.now();
    if (ev.type === "text" && textAt === undefined) textAt = performance.now();
  }
  return { failedAt, textAt };
}

export async function run(ctx) {
  const [bad, good] = await Promise.all([
    startFakeOpenAI({ maxRecorded: 1 }),
    startFakeOpenAI({ maxRecorded: 1 }),
  ]);
  bad.setScript(() => ({ type: "status", status: 500, body: { error: { message: "boom" } } }));
  good.setScript(() => ({ type: "reply", chunks: ["Hello", " there."], usage: false }));
  const a = candidate("a", bad);
  const b = candidate("b", good);
  try {
    ctx.log(`failover: ${TURNS} turns whose primary answers 500 (no cooldowns, so each turn fails over)`);
    const cascade = [];
    const ownLatency = [];
    const chain = new FailoverProvider([a.candidate, b.candidate], { deadlineMs: 60_000 });
    const direct = new FailoverProvider([b.candidate], { deadlineMs: 60_000 });
    for (let i = 0; i < WARMUP + TURNS; i++) {
      const { failedAt, textAt } = await turn(chain);
      const start = performance.now();
      const own = await turn(direct);
      if (failedAt === undefined || textAt === undefined || own.textAt === undefined)
        throw new Error("no failover");
      if (i >= WARMUP) {
        cascade.push(textAt - failedAt);
        ownLatency.push(own.textAt - start);
      }
    }
    ctx.log(`all cooling: ${TURNS} turns whose every candidate is cooling`);
    const cooled = new Cooldowns();
    for (const c of [a.candidate, b.candidate]) {
      cooled.failure(
        {
          provider: c.providerId,
          model: c.modelId,
          credentialId: `${c.providerId}:default`,
          apiKey: `sk-${c.providerId}`,
          endpoint: c.endpoint,
        },
        "rate_limit",
        600_000,
        [],
      );
    }
    const coolChain = new FailoverProvider([a.candidate, b.candidate], {
      deadlineMs: 60_000,
      cooldowns: cooled,
    });
    const fast = [];
    for (let i = 0; i < WARMUP + TURNS; i++) {
      const start = performance.now();
      try {
        await turn(coolChain);
        throw new Error("a cooled chain answered");
      } catch (err) {
        if (err?.details?.reason !== "all_candidates_cooling") throw err;
      }
      if (i >= WARMUP) fast.push(performance.now() - start);
    }
    ctx.log(
      `healthy primary: ${TURNS} turns through the chain with cooldowns, interleaved with bare adapter calls`,
    );
    const healthyChain = new FailoverProvider([b.candidate, a.candidate], {
      deadlineMs: 60_000,
      cooldowns: new Cooldowns(),
    });
    const viaChain = [];
    const bare = [];
    for (let i = 0; i < WARMUP + TURNS; i++) {
      let start = performance.now();
      await turn(healthyChain);
      const chained = performance.now() - start;
      start = performance.now();
      const request = { model: "m", messages, signal: new AbortController().signal };
      for await (const ev of b.candidate.provider.stream({
        ...request,
        credential: b.candidate.provider.credentials[0],
      })) {
        if (ev.type === "error") throw new Error("bare call failed");
      }
      if (i >= WARMUP) {
        viaChain.push(chained);
        bare.push(performance.now() - start);
      }
    }
    const h = stats(viaChain);
    const hb = stats(bare);
    const c = stats(cascade);
    const o = stats(ownLatency);
    const f = stats(fast);
    return [
      { metric: "failover: error → next candidate's first token p50", value: c.p50, unit: "ms" },
      { metric: "failover: error → next candidate's first token p99", value: c.p99, unit: "ms" },
      { metric: "failover: that candidate's own latency to first token p50", value: o.p50, unit: "ms" },
      {
        metric: "failover: overhead over the candidate's own latency p50",
        value: c.p50 - o.p50,
        unit: "ms",
        target: "≤ 50",
        ok: c.p50 - o.p50 <= 50,
      },
      {
        metric: "all candidates cooling: fast failure p50",
        value: f.p50,
        unit: "ms",
        target: "≤ 5",
        ok: f.p50 <= 5,
      },
      { metric: "all candidates cooling: fast failure p99", value: f.p99, unit: "ms" },
      { metric: "healthy primary: whole turn through failover + cooldowns p50", value: h.p50, unit: "ms" },
      { metric: "healthy primary: the bare adapter's turn p50", value: hb.p50, unit: "ms" },
      { metric: "healthy primary: added by failover + cooldowns p50", value: h.p50 - hb.p50, unit: "ms" },
    ];
  } finally {
    await Promise.all([a.transport.close(), b.transport.close(), bad.close(), good.close()]);
  }
}
