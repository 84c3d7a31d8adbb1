// ConfigSource: the one replaceable place the effective config lives; a reload is a swap.
import type { Config } from "./schema.js";

export type ConfigListener = (next: Config, previous: Config) => void;

/**
 * Where every module reads its settings. Read `current()` at use time for keys marked
 * `reload: "hot"`; `subscribe` to rebuild something derived (the model registry). Keys marked
 * `restart` are read once at start and need a restart to change.
 */
export interface ConfigSource {
  current(): Config;
  /** Called after each swap with the new and the previous config. Returns the unsubscribe. */
  subscribe(listener: ConfigListener): () => void;
}

/** Listeners a source keeps at most: one per subsystem that derives state from the config. */
const MAX_LISTENERS = 64;

/** A ConfigSource holding one immutable config at a time. */
export class LiveConfig implements ConfigSource {
  #config: Config;
  readonly #listeners = new Set<ConfigListener>();

  constructor(initial: Config) {
    this.#config = initial;
  }

  current(): Config {
    return this.#config;
  }

  subscribe(listener: ConfigListener): () => void {
    if (this.#listeners.size >= MAX_LISTENERS) {
      throw new Error(`config source: more than ${MAX_LISTENERS} listeners (a subscription leak)`);
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Replaces the config (already validated and frozen by loadConfig) and tells every listener.
   * A listener that throws does not stop the others or undo the swap; its error is rethrown after
   * all ran, for the caller to report.
   */
  swap(next: Config): void {
    const previous = this.#config;
    this.#config = next;
    const errors: unknown[] = [];
    for (const listener of this.#listeners) {
      try {
        listener(next, previous);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, "config listeners failed after a swap");
  }
}
