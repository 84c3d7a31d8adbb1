// Test harness: a real run engine over a real SQLite store and a fake OpenAI vendor on loopback.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.js";
import { LiveConfig } from "../../src/config/source.js";
import { silentLogger } from "../../src/lifecycle/logger.js";
import { projectRunEvent } from "../../src/methods/run-events.js";
import { ModelRegistry } from "../../src/models/registry.js";
import { runModels } from "../../src/runs/candidates.js";
import { RunService } from "../../src/runs/service.js";
import { openSqliteStore } from "../../src/sessions/sqlite.js";
import type { SessionStore } from "../../src/sessions/store.js";
import { type FakeScript, startFakeOpenAI } from "../fixtures/fake-openai.js";

export interface Emitted {
  event: string;

  payload: any;
}

export interface HarnessOptions {
  script?: FakeScript;
  raw?: Record<string, unknown>;
  /** Keep every event in `events` (default true); long soaks count instead. */
  record?: boolean;
  onEvent?: (event: string, payload: Emitted["payload"]) => void;
  /** Wraps the real store (a test slows or gates its writes). */
  wrapStore?: (store: SessionStore) => SessionStore;
}

export async function engineHarness(options: HarnessOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), "keel-runs-"));
  const fake = await startFakeOpenAI({
    ...(options.script ? { script: options.script } : {}),
    maxRecorded: 100,
  });
  const raw = options.raw ?? {};
  const loaded = loadConfig({
    path: "/nonexistent",
    env: {},
    raw: {
      models: {
        providers: {
          fake: { baseUrl: fake.url, apiKey: "sk-test", models: [{ id: "m1" }, { id: "m2" }] },
          ...((raw["providers"] as object) ?? {}),
        },
      },
      agents: {
        defaults: { model: "fake/m1", systemPrompt: "be brief" },
        ...((raw["agents"] as object) ?? {}),
      },
      runs: { deltaThrottleMs: 0, ...((raw["runs"] as object) ?? {}) },
    },
  });
  const config = loaded.config;
  const sqlite = await openSqliteStore({ stateDir: dir, config });
  const store = options.wrapStore ? options.wrapStore(sqlite) : sqlite;
  const events: Emitted[] = [];
  const record = options.record ?? true;
  const source = new LiveConfig(config);
  let models = new ModelRegistry(config);
  source.subscribe((next) => (models = new ModelRegistry(next)));
  const runs = new RunService({
    config: source,
    store,
    models: runModels(() => models),
    logger: silentLogger(),
  });
  // What operators would receive: the WebSocket surface's projection of every run event.
  runs.onEvent((ev) => {
    for (const { event, payload } of projectRunEvent(ev)) {
      if (record) events.push({ event, payload });
      options.onEvent?.(event, payload);
    }
  });
  const start = async (message: string, runId: string, key = "agent:main:main", extra: object = {}) => {
    const { entry } = await store.ensure("main", key);
    return runs.start({
      method: "chat",
      runId,
      sessionKey: entry.key,
      agentId: entry.agentId,
      sessionId: entry.sessionId,
      message,
      ...extra,
    });
  };
  return {
    dir,
    fake,
    store,
    runs,
    source,
    events,
    config,
    start,
    /** Chat events of one run, in order. */
    chat: (runId: string) =>
      events.filter((e) => e.event === "chat" && e.payload.runId === runId).map((e) => e.payload),
    async [Symbol.asyncDispose]() {
      await runs.shutdown();
      await sqlite.close();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when the run has ended (its finished record exists). */
export async function ended(runs: RunService, runId: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = runs.get(runId).finished;
    if (f) return f;
    const active = runs.get(runId).active;
    if (active) {
      await Promise.race([active.waitEnd(), new Promise((r) => setTimeout(r, 200))]);
    } else await new Promise((r) => setTimeout(r, 5));
    if (Date.now() > deadline) throw new Error(`run ${runId} did not end`);
  }
}
