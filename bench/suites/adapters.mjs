// Adapter benchmarks against each adapter's fake vendor on loopback (in process, through tsx):
// time from the vendor's first byte to the first `text` event, and adapter CPU per 1,000 chunks.
import { Agent, request } from "undici";
import { AnthropicMessagesProvider } from "../../src/models/anthropic-messages.ts";
import { OpenAICompletionsProvider } from "../../src/models/openai-completions.ts";
import { OpenAIResponsesProvider } from "../../src/models/openai-responses.ts";
import { ProviderTransport } from "../../src/models/transport.ts";
import { startFakeAnthropic } from "../../test/fixtures/fake-anthropic.ts";
import { startFakeOpenAI } from "../../test/fixtures/fake-openai.ts";
import { startFakeOpenAIResponses } from "../../test/fixtures/fake-openai-responses.ts";
import { stats } from "../lib.mjs";

export const name = "adapters";

/**
 * One row per adapter. `startFake(options)` starts its fake vendor (the shared step language; its
 * RecordedRequest.firstByteAt is set when it writes the response's first byte); `make(baseUrl,
 * transport)` builds the provider. Adding an adapter is one more row here.
 */
const ADAPTERS = [
  {
    name: "openai-completions",
    startFake: startFakeOpenAI,
    make: (baseUrl, transport) =>
      new OpenAICompletionsProvider(
        "bench",
        { baseUrl },
        [{ id: "bench:default", apiKey: "sk-bench" }],
        transport,
      ),
  },
  {
    name: "openai-responses",
    startFake: startFakeOpenAIResponses,
    make: (baseUrl, transport) =>
      new OpenAIResponsesProvider(
        "bench",
        { baseUrl },
        [{ id: "bench:default", apiKey: "sk-bench" }],
        transport,
      ),
  },
  {
    name: "anthropic-messages",
    startFake: startFakeAnthropic,
    make: (baseUrl, transport) =>
      new AnthropicMessagesProvider(
        "bench",
        { baseUrl },
        [{ id: "bench:default", apiKey: "sk-bench" }],
        transport,
      ),
  },
];

const FIRST_TEXT_STREAMS = 200;
const WARMUP_STREAMS = 20;
const CPU_CHUNKS = 1_000;
const CPU_RUNS = 5;

/** The fake's answer, chosen by the request's model so one script serves both measurements. */
function script(recorded) {
  if (recorded.body?.model === "bench-cpu") {
    // 1 ms apart, so each chunk reaches the adapter in its own socket read as from a real vendor.
    return { type: "reply", chunks: Array(CPU_CHUNKS).fill("tok "), delayMs: 1, usage: false };
  }
  return { type: "reply", chunks: ["Hello", " from", " the", " fake", " vendor."], usage: false };
}

export async function run(ctx) {
  const rows = [];
  for (const adapter of ADAPTERS) {
    ctx.log(`${adapter.name}: ${FIRST_TEXT_STREAMS} streams, then ${CPU_RUNS} × ${CPU_CHUNKS} chunks`);
    rows.push(...(await measure(adapter)));
  }
  return rows;
}

async function measure(adapter) {
  const fake = await adapter.startFake({ script, maxRecorded: 1 });
  const transport = new ProviderTransport("bench", {
    timeoutSeconds: 60,
    connectTimeoutMs: 10_000,
    maxConnections: 8,
  });
  const provider = adapter.make(fake.url, transport);
  try {
    const firstText = await firstTextLatencies(provider, fake);
    const cpu = await cpuPerThousand(provider, fake);
    const s = stats(firstText);
    return [
      {
        metric: `${adapter.name} first byte → first text p50`,
        value: s.p50,
        unit: "ms",
        target: "≤ 1",
        ok: s.p50 <= 1,
      },
      { metric: `${adapter.name} first byte → first text p99`, value: s.p99, unit: "ms" },
      { metric: `${adapter.name} CPU per 1k chunks (adapter+transport)`, value: cpu.adapter, unit: "ms" },
      { metric: `${adapter.name} CPU per 1k chunks (raw undici read)`, value: cpu.raw, unit: "ms" },
      {
        metric: `${adapter.name} CPU per 1k chunks (difference)`,
        value: cpu.adapter - cpu.raw,
        unit: "ms",
      },
    ];
  } finally {
    await transport.close();
    await fake.close();
  }
}

const signal = () => new AbortController().signal;

async function firstTextLatencies(provider, fake) {
  const samples = [];
  for (let i = 0; i < WARMUP_STREAMS + FIRST_TEXT_STREAMS; i++) {
    let at;
    const messages = [{ role: "user", content: "Say hello." }];
    for await (const event of provider.stream({ model: "bench-first", messages, signal: signal() })) {
      if (event.type === "text" && at === undefined) at = performance.now();
    }
    const firstByte = fake.requests.at(-1)?.firstByteAt;
    if (at === undefined || firstByte === undefined) throw new Error("no text event or no first byte");
    if (i >= WARMUP_STREAMS) samples.push(at - firstByte);
  }
  return samples;
}

/**
 * CPU of this process per 1,000-chunk stream, through the adapter and as a raw undici read of
 * the same request (recorded from the fake and replayed). The fake runs in this process too, so
 * the raw read carries the fake's and the socket's share and the difference is the adapter's.
 */
async function cpuPerThousand(provider, fake) {
  const messages = [{ role: "user", content: "Count." }];
  const adapterRun = async () => {
    let chunks = 0;
    for await (const event of provider.stream({ model: "bench-cpu", messages, signal: signal() })) {
      if (event.type === "text") chunks++;
    }
    if (chunks !== CPU_CHUNKS) throw new Error(`expected ${CPU_CHUNKS} text events, got ${chunks}`);
  };
  await adapterRun();
  const recorded = fake.requests.at(-1);
  const agent = new Agent({ connections: 1 });
  const rawRun = async () => {
    const headers = { ...recorded.headers };
    for (const h of ["host", "content-length", "connection"]) delete headers[h];
    const res = await request(`${new URL(fake.url).origin}${recorded.path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(recorded.body),
      dispatcher: agent,
    });
    for await (const _ of res.body) {
      // read and drop: the baseline is the bytes arriving, nothing parsed
    }
  };
  try {
    await rawRun();
    return { adapter: await cpuMs(adapterRun), raw: await cpuMs(rawRun) };
  } finally {
    await agent.close();
  }
}

/** Mean CPU (user + system, ms) of `fn` over CPU_RUNS runs. */
async function cpuMs(fn) {
  const start = process.cpuUsage();
  for (let i = 0; i < CPU_RUNS; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / CPU_RUNS;
}
