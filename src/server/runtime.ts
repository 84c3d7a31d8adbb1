// The gateway's working parts built by startup steps: session store, maintenance, models, runs.
import { NO_PROFILE_SECRETS, type ProfileSecrets } from "../config/credentials.js";
import type { AuthConfig } from "../config/schema.js";
import type { ConfigSource } from "../config/source.js";
import type { Logger } from "../lifecycle/logger.js";
import type { StartupStep } from "../lifecycle/startup.js";
import type { Subsystems } from "../lifecycle/subsystems.js";
import { Cooldowns, cooldownSettings } from "../models/cooldowns.js";
import { CredentialPins } from "../models/pins.js";
import { ModelRegistry } from "../models/registry.js";
import { unavailable } from "../protocol/errors.js";
import { runModels } from "../runs/candidates.js";
import type { RunListener } from "../runs/events.js";
import { RunService } from "../runs/service.js";
import { type MaintenanceHandle, startMaintenance } from "../sessions/maintenance.js";
import { endInterruptedRuns } from "../runs/recovery.js";
import { openSqliteStore } from "../sessions/sqlite.js";
import type { SessionStore } from "../sessions/store.js";

export interface RuntimeInput {
  config: ConfigSource;
  stateDir: string;
  logger: Logger;
  subsystems: Subsystems;
  /** The surfaces' taps on every run's events (the WebSocket broadcast), attached at build. */
  runTaps: readonly RunListener[];
  /** Auth profiles' keys, resolved at start. */
  secrets?: ProfileSecrets;
  /** Resolves the profiles' keys again when a reload changes `auth.profiles` (keyEnv, credentials.json). */
  resolveSecrets?: (auth: AuthConfig) => ProfileSecrets;
}

/**
 * Holds what the "models" and "sessions" startup steps build. Methods only run after startup
 * (connect answers startup-sidecars until then), so the getters never see a missing part in
 * practice; if one does, it answers a retryable UNAVAILABLE rather than crashing.
 */
export class Runtime {
  #store: SessionStore | undefined;
  #runs: RunService | undefined;
  #models: ModelRegistry | undefined;
  #cooldowns: Cooldowns | undefined;
  #maintenance: MaintenanceHandle | undefined;
  #unsubscribe: (() => void) | undefined;
  #secrets: ProfileSecrets;
  /** Set by closeStore(): a startup step still running must not build anything after it. */
  #closed = false;

  constructor(private readonly input: RuntimeInput) {
    this.#secrets = input.secrets ?? NO_PROFILE_SECRETS;
  }

  get store(): SessionStore {
    return this.#store ?? notReady("session store");
  }

  /** The run service once built, else undefined (samplers that must not throw before startup). */
  get runsIfReady(): RunService | undefined {
    return this.#runs;
  }

  get runs(): RunService {
    return this.#runs ?? notReady("run service");
  }

  /** The gateway's cooldowns (undefined until the runs are built). */
  get cooldowns(): Cooldowns | undefined {
    return this.#cooldowns;
  }

  get models(): ModelRegistry {
    return this.#models ?? notReady("model registry");
  }

  /** The startup steps, in order: models first (cheap), then the store and the runs over it. */
  steps(): StartupStep[] {
    return [
      { name: "models", run: () => this.#buildModels() },
      { name: "sessions", run: (signal) => this.#buildSessions(signal) },
    ];
  }

  /**
   * Graceful drain before shutdown: no new runs, active ones get `timeoutMs` to finish, the rest
   * end with reason `shutdown` in their transcripts. Nothing to do with no drain time or no runs.
   */
  async drainRuns(timeoutMs: number): Promise<void> {
    const runs = this.#runs;
    if (!runs || timeoutMs <= 0) return;
    const { active } = runs.stats();
    if (active > 0) this.input.logger.info({ active, timeoutMs }, "draining runs before shutdown");
    const result = await runs.drain(timeoutMs);
    if (result.aborted > 0) {
      this.input.logger.warn(result, `${result.aborted} runs did not finish within the drain time; aborted`);
    } else if (active > 0) this.input.logger.info(result, "every run finished before shutdown");
  }

  /** Ends every run (persisting partial text). */
  async shutdownRuns(): Promise<void> {
    await this.#runs?.shutdown();
  }

  /** Stops maintenance and closes the store (after the sockets closed: nothing writes any more). */
  async closeStore(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#maintenance?.dispose();
    await this.#store?.close();
    await this.#models?.close();
  }

  #buildModels(): void {
    const { config } = this.input;
    this.#setModels();
    this.#unsubscribe = config.subscribe((next, previous) => {
      // Only a change to what providers are made of rebuilds them: a swap of an unrelated hot key
      // must not drop the pools that running turns use.
      if (sameJson(next.models, previous.models) && sameJson(next.auth, previous.auth)) return;
      const { resolveSecrets } = this.input;
      if (resolveSecrets && !sameJson(next.auth.profiles, previous.auth.profiles)) {
        this.#secrets = resolveSecrets(next.auth);
      }
      const superseded = this.#models;
      this.#setModels();
      // The superseded pools close once no turn can still be walking a chain over them: undici
      // lets requests under way finish, and a chain ends within the failover deadline.
      if (superseded) {
        const timer = setTimeout(() => {
          superseded
            .close()
            .catch((err: unknown) => this.input.logger.warn({ err }, "closing old provider pools failed"));
        }, next.models.failoverDeadlineMs);
        timer.unref();
      }
    });
  }

  /** Builds the current generation's providers and reports the models subsystem. */
  #setModels(): void {
    const { config, subsystems } = this.input;
    // Immutable per config generation: a run already started keeps the providers it resolved.
    this.#models = ModelRegistry.withSecrets(config.current(), this.#secrets);
    if (this.#models.providers.size === 0 && this.#models.unusable.size > 0) {
      subsystems.set("models", "disabled", [...this.#models.unusable.values()].join("; "));
    } else if (this.#models.providers.size === 0) {
      subsystems.set("models", "off", "no providers configured (models.providers)");
    } else subsystems.set("models", "ready");
  }

  async #buildSessions(signal: AbortSignal): Promise<void> {
    const { config, stateDir, logger, subsystems } = this.input;
    subsystems.set("sessions", "starting");
    const store = await openSqliteStore({
      stateDir,
      config: config.current(),
      logger: { info: (m) => logger.info(m) },
    });
    // The gateway closed while the store was opening (migrations can take a while): its shutdown
    // hooks already ran and the state lock is going, so nothing may be built over this store.
    if (signal.aborted || this.#closed) {
      await store.close();
      throw new Error("gateway closed while the session store was opening");
    }
    // Before anything can start a run: every mark left now belongs to a dead process.
    await endInterruptedRuns(store, logger);
    this.#store = store;
    const { pinTtlMs, maxPins } = config.current().auth;
    const pins = new CredentialPins({ ttlMs: pinTtlMs, max: maxPins });
    const cooldowns = new Cooldowns({
      settings: () => cooldownSettings(config.current()),
      ...(store.cooldowns ? { port: store.cooldowns } : {}),
    });
    await cooldowns.restore();
    this.#cooldowns = cooldowns;
    const runs = new RunService({
      config,
      store,
      models: runModels(() => this.models, pins, cooldowns),
      logger,
    });
    for (const tap of this.input.runTaps) runs.onEvent(tap);
    this.#runs = runs;
    this.#maintenance = startMaintenance(store, config.current(), (key) => runs.hasActiveRun(key), {
      onError: (err) => logger.warn({ err }, "session maintenance failed"),
      onPruned: (r, agentId) => logger.info({ ...r, agentId }, "pruned sessions"),
      onFolded: (rows, beforeDay) =>
        logger.info({ rows, beforeDay }, "folded old session usage rows into daily sums"),
    });
    subsystems.set("sessions", "ready");
    subsystems.set("runs", "ready");
  }
}

function notReady(what: string): never {
  throw unavailable(`${what} is not ready yet`, "startup-sidecars", 500);
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
