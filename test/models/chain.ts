// Test fixture: two fake OpenAI vendors per file and failover candidates that call them.
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { Candidate } from "../../src/models/failover.js";
import { OpenAICompletionsProvider } from "../../src/models/openai-completions.js";
import { ProviderTransport } from "../../src/models/transport.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai.js";

export interface CandidateOptions {
  /** Its provider's API keys, in order; credential ids are `<id>:0`, `<id>:1`, … (default one key). */
  keys?: string[];
  contextWindow?: number;
  /** The transport's idle watchdog (s): a stalled stream fails after this. */
  idleSeconds?: number;
  /** The transport's connect watchdog (ms): no response headers within it is a timeout. */
  connectTimeoutMs?: number;
}

/** A candidate `<id>/m` on the vendor at `baseUrl`, over a real adapter and transport. */
export function candidate(id: string, baseUrl: string, options: CandidateOptions = {}): Candidate {
  const {
    keys = [`sk-${id}`],
    contextWindow = 128_000,
    idleSeconds = 30,
    connectTimeoutMs = 5_000,
  } = options;
  const provider = new OpenAICompletionsProvider(
    id,
    { baseUrl },
    keys.map((apiKey, i) => ({ id: `${id}:${i}`, apiKey })),
    new ProviderTransport(id, { timeoutSeconds: idleSeconds, connectTimeoutMs, maxConnections: 8 }),
  );
  return { ref: `${id}/m`, providerId: id, modelId: "m", provider, contextWindow, endpoint: baseUrl };
}

/**
 * Starts two fake vendors for the calling test file (closed after it) and clears their requests
 * and scripts before each test. Read `first` / `second` inside tests, after beforeAll ran.
 */
export function twoVendors(): { readonly first: FakeOpenAI; readonly second: FakeOpenAI } {
  const fakes: FakeOpenAI[] = [];
  beforeAll(async () => {
    fakes.push(...(await Promise.all([startFakeOpenAI(), startFakeOpenAI()])));
  });
  afterAll(() => Promise.all(fakes.map((f) => f.close())));
  beforeEach(() => {
    for (const f of fakes) {
      f.requests.length = 0;
      f.setScript([]);
    }
  });
  return {
    get first() {
      return fakes[0]!;
    },
    get second() {
      return fakes[1]!;
    },
  };
}
