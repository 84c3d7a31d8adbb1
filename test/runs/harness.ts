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
import type { RunInit } from "../../src/runs/run.js";
import { RunService } from "../../src/runs/service.js";
import { openSqliteStore } from "../../src/sessions/sqlite.js";
import type { SessionStore } from "../../src/sessions/store.js";
import { type FakeScript, startFakeOpenAI } from "../fixtures/fake-openai.js";
import { fakeVendorConfig } from "../helpers/vendor-gateway.js";

/** A RunInit for registry-level tests: session agent:main:s1, agent main, a minute to run. */
export function runInit(
  runId: string,
  sessionKey = "agent:main:s1",
  method: "chat" | "agent" = "chat",
): RunInit {
  return { runId, method, sessionKey, agentId: "main", sessionId: "sid", message: "hi", timeoutMs: 60_000 };
}

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
  // The fixtures' vendor wiring (default agent on fake/m1, deltas unthrottled); `raw` adds providers,
  // replaces `agents` keys whole (so `{agents: {defaults: {}}}` leaves the agent without a model)
  // and merges `runs`.
  const vendor = fakeVendorConfig(fake.url, { provider: "fake", models: ["m1", "m2"], apiKey: "sk-test" });
  const loaded = loadConfig({
    path: "/nonexistent",
    env: {},
    raw: {
      models: { providers: { ...vendor.models.providers, ...((raw["providers"] as object) ?? {}) } },
      agents: {
        defaults: { ...vendor.agents.defaults, systemPrompt: "be brief" },
        ...((raw["agents"] as object) ?? {}),
      },
      runs: { ...vendor.runs, ...((raw["runs"] as object) ?? {}) },
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

/** Resolves with the run's finished record once it has ended (and persisted what it had). */
export async function ended(runs: RunService, runId: string, timeoutMs = 10_000) {
  const result = await runs.wait(runId, { timeoutMs });
  if (!result) throw new Error(`run ${runId} is unknown`);
  if ("timeout" in result) throw new Error(`run ${runId} did not end within ${timeoutMs} ms`);
  return result.finished;
}
