// Loading at start with the last good config as a fallback, so a bad edit cannot crash-loop the gateway.
import { readFileSync } from "node:fs";
import JSON5 from "json5";
import { readLastGood } from "./file.js";
import {
  type ConfigProblem,
  ConfigError,
  fileHash,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
} from "./load.js";

/** The file that was refused at start, when the gateway started on the last good copy instead. */
export interface RejectedFile {
  problems: ConfigProblem[];
  /** sha256 of the refused file's bytes (config.get's `hash`: what a fix must name as baseHash). */
  fileHash: string;
}

export interface StartLoad {
  loaded: LoadedConfig;
  /** Set when the file was invalid and `loaded` is the last good copy. */
  rejected?: RejectedFile;
}

/**
 * Loads the config file; when it is invalid and `gateway.reload.keepLastGood` is not turned off in
 * it, loads the last good copy from the state dir instead. Throws the file's ConfigError when
 * there is no good copy (a first start: the CLI exits 78) or that copy fails too.
 */
export function loadAtStart(options: LoadOptions, stateDir: string): StartLoad {
  try {
    return { loaded: loadConfig(options) };
  } catch (err) {
    if (!(err instanceof ConfigError) || !keepsLastGood(options.path)) throw err;
    const text = readLastGood(stateDir);
    if (text === undefined) throw err;
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig({ ...options, text });
    } catch {
      throw err;
    }
    return { loaded, rejected: { problems: err.problems, fileHash: currentFileHash(options.path) } };
  }
}

/** sha256 of the file's bytes now (of no bytes when it is missing or unreadable). */
export function currentFileHash(path: string): string {
  try {
    return fileHash(readFileSync(path));
  } catch {
    return fileHash("");
  }
}

/** False only when the (invalid) file parses and sets `gateway.reload.keepLastGood: false`. */
function keepsLastGood(path: string): boolean {
  try {
    const raw = JSON5.parse(readFileSync(path, "utf8")) as {
      gateway?: { reload?: { keepLastGood?: unknown } };
    };
    return raw?.gateway?.reload?.keepLastGood !== false;
  } catch {
    return true;
  }
}
