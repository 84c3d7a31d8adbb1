// The gateway's working parts built by startup steps: session store, maintenance, models, run engine.
import type { Config } from "../config/schema.js";
import type { Logger } from "../lifecycle/logger.js";
import type { StartupStep } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import { ModelRegistry } from "../models/registry.js";
import { unavailable } from "../protocol/errors.js";
import { runModels } from "../runs/candidates.js";
import { RunEngine } from "../runs/engine.js";
import type { EmitFn } from "../runs/events.js";
import { type MaintenanceHandle, startMaintenance } from "../sessions/maintenance.js";
import { openSqliteStore } from "../sessions/sqlite.js";
import type { SessionStore } from "../sessions/store.js";

export interface RuntimeInput {
  config: Config;
  stateDir: string;
  logger: Logger;
  subsystems: Subsystems;
  emit: EmitFn;
}

/**
 * Holds what the "sessions" and "models" startup steps build. Methods only run after startup
 * (connect answers startup-sidecars until then), so the getters never see a missing part in
 * practice; if one does, it answers a retryable UNAVAILABLE rather than crashing.
 */
export class Runtime {
  #store: SessionStore | undefined;
  #engine: RunEngine | undefined;
  #models: ModelRegistry | undefined;
  #maintenance: MaintenanceHandle | undefined;

  constructor(private readonly input: RuntimeInput) {}

  get store(): SessionStore {
    return this.#store ?? notReady("session store");
  }

  get engine(): RunEngine {
    return this.#engine ?? notReady("run engine");
  }

  get models(): ModelRegistry {
    return this.#models ?? notReady("model registry");
  }

  /** Run ids active in a session (chat.history, sessions.list, pruning). */
  activeRuns(sessionKey: string): readonly string[] {
    return this.#engine?.registry.activeRunIds(sessionKey) ?? [];
  }

  /** The running run's partial text, for a client re-attaching through chat.history. */
  inFlightRun(sessionKey: string): unknown {
    const run = this.#engine?.registry.runningRun(sessionKey);
    if (!run) return undefined;
    return { runId: run.runId, text: run.text, startedAt: run.startedAt, seq: run.seq };
  }

  /** The startup steps, in order: models first (cheap), then the store and the engine over it. */
  steps(): StartupStep[] {
    const { config, stateDir, logger, subsystems, emit } = this.input;
    return [
      {
        name: "models",
        run: () => {
          this.#models = new ModelRegistry(config);
          const n = this.#models.providers.size;
          if (n === 0) subsystems.set("models", "off", "no providers configured (models.providers)");
          else subsystems.set("models", "ready");
        },
      },
      {
        name: "sessions",
        run: async () => {
          subsystems.set("sessions", "starting");
          const store = await openSqliteStore({ stateDir, config, logger: { info: (m) => logger.info(m) } });
          this.#store = store;
          this.#engine = new RunEngine({ config, store, models: runModels(() => this.models), emit, logger });
          const engine = this.#engine;
          this.#maintenance = startMaintenance(store, config, (key) => engine.registry.hasActiveRun(key), {
            onError: (err) => logger.warn({ err }, "session maintenance failed"),
            onPruned: (r, agentId) => logger.info({ ...r, agentId }, "pruned sessions"),
          });
          subsystems.set("sessions", "ready");
          subsystems.set("runs", "ready");
        },
      },
    ];
  }

  /** Ends every run (persisting partial text), then stops maintenance and closes the store. */
  async shutdownRuns(): Promise<void> {
    await this.#engine?.shutdown();
  }

  async closeStore(): Promise<void> {
    this.#maintenance?.dispose();
    await this.#store?.close();
  }
}

function notReady(what: string): never {
  throw unavailable(`${what} is not ready yet`, "startup-sidecars", 500);
}
