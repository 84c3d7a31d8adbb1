// Hot reload: watches the config file, loads each edit as startup does, swaps it in or keeps the last good one.
import { createHash } from "node:crypto";
import { type FSWatcher, readFileSync, statSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import JSON5 from "json5";
import { currentFileHash, type RejectedFile } from "../config/fallback.js";
import { writeFileAtomic, writeLastGood } from "../config/file.js";
import {
  adoptHooksState,
  hooksStateOf,
  type ConfigProblem,
  ConfigError,
  DEGRADABLE_SECTIONS,
  fileHash,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
} from "../config/load.js";
import { changedKeys, changedRestartKeys, withRunningRestartKeys } from "../config/restart-keys.js";
import type { Config } from "../config/schema.js";
import type { LiveConfig } from "../config/source.js";
import type { Logger } from "../lifecycle/logger.js";
import type { ConfigFileInfo, ConfigReloadState, ConfigWriteResult } from "../methods/context.js";
import { configWarnings } from "../models/warnings.js";
import { invalidRequest } from "../protocol/errors.js";
import type { LoadedInfo } from "./services.js";

/** How the config was loaded at start, so a reload loads it the same way (same env, same flags). */
export type ReloadLoadOptions = Omit<LoadOptions, "raw" | "text">;

export interface ReloaderInput {
  source: LiveConfig;
  /** What start() was given; undefined when started from an in-memory config. */
  loaded: LoadedInfo | undefined;
  /** How to load the file again. Without it nothing is watched and config writes are refused. */
  load: ReloadLoadOptions | undefined;
  /** The file refused at start, when the gateway started on the last good copy. */
  rejected: RejectedFile | undefined;
  stateDir: string;
  logger: Logger;
}

type Trigger = ConfigReloadState["lastReload"]["trigger"];

/**
 * The config file behind the live config. Every change — an edit seen by the watcher, or
 * config.patch / config.apply — goes through `#apply`, which validates with loadConfig exactly as
 * startup does: a fatal problem keeps the running config; anything else is swapped in, with the
 * `restart` keys kept at their running values and listed as pending.
 */
export class ConfigReloader implements ConfigFileInfo {
  readonly path: string | undefined;
  #exists: boolean;
  #hash: string;
  #effectiveHash: string;
  #issues: ConfigProblem[];
  #pending: string[] = [];
  #last: ConfigReloadState["lastReload"];
  readonly #startedOnLastGood: boolean;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #closed = false;

  constructor(private readonly input: ReloaderInput) {
    const { loaded, rejected, source } = input;
    this.path = input.load?.path ?? loaded?.path;
    this.#exists = loaded?.exists ?? loaded !== undefined;
    this.#effectiveHash = loaded?.hash ?? hashOf(source.current());
    this.#hash = rejected?.fileHash ?? loaded?.fileHash ?? this.#effectiveHash;
    this.#issues = degradedProblems(loaded?.sections);
    this.#startedOnLastGood = rejected !== undefined;
    const problems = rejected ? rejected.problems : this.#issues;
    this.#last = { at: Date.now(), ok: rejected === undefined, trigger: "start", problems };
  }

  get exists(): boolean {
    return this.#exists;
  }
  get hash(): string {
    return this.#hash;
  }
  get effectiveHash(): string {
    return this.#effectiveHash;
  }
  get issues(): readonly ConfigProblem[] {
    return this.#issues;
  }

  /** True while the file's directory is watched (gateway.reload.mode hot, and a file to load). */
  get watching(): boolean {
    return this.#watcher !== undefined;
  }

  /** What `status.config` shows. */
  state(): ConfigReloadState {
    return {
      hash: this.#hash,
      effectiveHash: this.#effectiveHash,
      lastReload: { ...this.#last, problems: [...this.#last.problems] },
      pendingRestart: [...this.#pending],
      ...(this.#startedOnLastGood ? { startedOnLastGood: true } : {}),
    };
  }

  /** Keeps the start's file as the last good one and starts watching (per gateway.reload.mode). */
  start(): void {
    const { source, load, rejected } = this.input;
    if (!load) return;
    if (!rejected) this.#keepLastGood();
    this.#unsubscribe = source.subscribe((next, previous) => {
      if (next.gateway.reload.mode !== previous.gateway.reload.mode) this.#syncWatcher();
    });
    this.#syncWatcher();
  }

  /** Stops watching (shutdown). */
  close(): void {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#stopWatching();
  }

  /** The file's JSON today (a merge patch's base): `{}` when there is none. */
  fileJson(): unknown {
    const path = this.#writablePath();
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      return {};
    }
    try {
      return JSON5.parse(text);
    } catch (err) {
      throw invalidRequest(
        `the config file is not valid JSON5 (${(err as Error).message}); replace it with raw`,
      );
    }
  }

  /**
   * config.patch / config.apply: refuses a stale `baseHash` and an invalid text (nothing is
   * written), else writes the file atomically and applies it through the same path as an edit.
   */
  write(text: string, baseHash: string, trigger: "config.patch" | "config.apply"): ConfigWriteResult {
    const path = this.#writablePath();
    const current = currentFileHash(path);
    if (baseHash !== current) {
      throw invalidRequest("the config file changed since baseHash was read; get it again and retry", {
        code: "BASE_HASH_MISMATCH",
        hash: current,
      });
    }
    try {
      loadConfig({ ...this.input.load, path, text });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw invalidRequest(`invalid config: ${summary(err.problems)}`, {
        code: "INVALID_CONFIG",
        problems: err.problems,
      });
    }
    writeFileAtomic(path, text, fileMode(path));
    this.#apply(text, fileHash(text), trigger);
    return {
      ok: true,
      path,
      hash: this.#hash,
      effectiveHash: this.#effectiveHash,
      pendingRestart: [...this.#pending],
      issues: [...this.#issues],
    };
  }

  /** Reads the file now and applies it if its bytes changed (the watcher's debounced call). */
  reloadFromDisk(trigger: Trigger = "watch"): void {
    const path = this.input.load?.path;
    if (!path || this.#closed) return;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      // Mid-save (an editor's rename) or deleted: keep what runs; the next event reads it again.
      this.input.logger.warn({ err, path }, "config file unreadable; keeping the running config");
      return;
    }
    const hash = fileHash(bytes);
    if (hash === this.#hash) return; // our own write, or a touch that changed nothing
    this.#apply(bytes.toString("utf8"), hash, trigger);
  }

  #apply(text: string, hash: string, trigger: Trigger): void {
    const { source, logger } = this.input;
    const load = this.input.load!;
    this.#hash = hash;
    this.#exists = true;
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig({ ...load, text });
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [{ path: "(file)", message: String(err) }];
      this.#last = { at: Date.now(), ok: false, trigger, problems };
      logger.error(
        { path: load.path, problems },
        `config reload rejected; the last good config stays active: ${summary(problems)}`,
      );
      return;
    }
    const running = source.current();
    // The merged object is new: it takes the loader's hooks verdict for this file along.
    const next = adoptHooksState(loaded.config, withRunningRestartKeys(running, loaded.config));
    const changed = changedKeys(running, next);
    this.#pending = changedRestartKeys(running, loaded.config);
    this.#issues = degradedProblems(loaded.sections);
    this.#last = { at: Date.now(), ok: true, trigger, problems: this.#issues };
    this.#effectiveHash = hashOf(next);
    // A hooks section that broke (or was fixed) may leave the effective values as they were (a
    // broken one loads as the defaults): its verdict changed all the same, and subscribers must see it.
    const hooksChanged = JSON.stringify(hooksStateOf(next)) !== JSON.stringify(hooksStateOf(running));
    if (changed.length > 0 || hooksChanged) {
      try {
        source.swap(next);
      } catch (err) {
        logger.error({ err }, "a subsystem failed to take the reloaded config");
      }
    }
    // As at start, once: what lets the gateway run but keeps chats from working (no provider …).
    const known = new Set(configWarnings(running));
    for (const warning of configWarnings(next)) if (!known.has(warning)) logger.warn(warning);
    this.#keepLastGood(text);
    logger.info({ trigger, changed, pendingRestart: this.#pending }, "config reloaded");
    if (this.#pending.length > 0) {
      logger.warn(
        { pendingRestart: this.#pending },
        `config keys changed that apply at the next restart (keel gateway restart): ${this.#pending.join(", ")}`,
      );
    }
  }

  #keepLastGood(text?: string): void {
    const { load, stateDir, source, logger } = this.input;
    if (!load || !source.current().gateway.reload.keepLastGood) return;
    try {
      const body = text ?? readFileSync(load.path, "utf8");
      if (text === undefined && fileHash(body) !== this.#hash) return; // changed since it loaded
      writeLastGood(stateDir, body);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") logger.warn({ err }, "could not keep the last good config");
    }
  }

  #syncWatcher(): void {
    if (this.#closed) return;
    if (this.input.source.current().gateway.reload.mode === "off") this.#stopWatching();
    else if (!this.#watcher) this.#watch();
  }

  /**
   * Watches the file's directory, not the file: an editor that saves by writing a temp file and
   * renaming it over the config replaces the inode, and a watch on the old inode would go deaf.
   */
  #watch(): void {
    const path = this.input.load!.path;
    const name = basename(path);
    try {
      this.#watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
        if (filename !== null && filename.toString() !== name) return;
        this.#schedule();
      });
    } catch (err) {
      this.input.logger.warn({ err, path }, "cannot watch the config file's directory; edits need a restart");
      return;
    }
    this.#watcher.on("error", (err) => {
      this.input.logger.warn({ err, path }, "config watcher failed; edits need a restart");
      this.#stopWatching();
    });
  }

  /** Debounced: a save is often several events (truncate, write, rename); read once it is quiet. */
  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => this.reloadFromDisk("watch"),
      this.input.source.current().gateway.reload.debounceMs,
    );
    this.#timer.unref();
  }

  #stopWatching(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #writablePath(): string {
    const path = this.input.load?.path;
    if (!path)
      throw invalidRequest("this gateway was started without a config file; there is nothing to write");
    return path;
  }
}

function degradedProblems(sections: LoadedConfig["sections"] | undefined): ConfigProblem[] {
  if (!sections) return [];
  return DEGRADABLE_SECTIONS.flatMap((name) => sections[name].problems);
}

function hashOf(config: Config): string {
  return createHash("sha256").update(JSON.stringify(config)).digest("hex");
}

function summary(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join("; ");
}

/** A rewritten file keeps its mode (it may hold secrets); a new one is 0600. */
function fileMode(path: string): number {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return 0o600;
  }
}
