// Test helper: a real gateway (start()) on 127.0.0.1 port 0 with a temp state dir, disposable.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadedConfig, loadConfig } from "../../src/config/load.js";
import { type GatewayHandle, type StartOptions, start } from "../../src/server/start.js";

export const TEST_TOKEN = "test-token-123";

export interface TestGateway {
  handle: GatewayHandle;
  /** ws://127.0.0.1:PORT */
  url: string;
  stateDir: string;
  /** The raw config handed to loadConfig (the test's `config` merged over port 0 and TEST_TOKEN). */
  raw: Record<string, unknown>;
  loaded: LoadedConfig;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface StartGatewayOptions extends Omit<
  Partial<StartOptions>,
  "config" | "stateDir" | "loaded" | "reload"
> {
  /** Raw config merged over `{gateway: {port: 0, auth: {mode: "token", token: TEST_TOKEN}}}`. */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Wait for the startup steps before resolving (default true). */
  waitReady?: boolean;
  /**
   * Write the raw config to `<stateDir>/keel.json` and start from that file, watched and
   * writable as `keel gateway run` does it (default false: an in-memory config).
   */
  configFile?: boolean;
}

/** Starts a gateway through loadConfig + start(); `await using` closes it and removes the dir. */
export async function startGateway(options: StartGatewayOptions = {}): Promise<TestGateway> {
  const { config = {}, env = {}, waitReady = true, configFile = false, ...rest } = options;
  const stateDir = mkdtempSync(join(tmpdir(), "keel-server-test-"));
  const raw = merge({ gateway: { port: 0, auth: { mode: "token", token: TEST_TOKEN } } }, config);
  const path = join(stateDir, "keel.json");
  if (configFile) writeFileSync(path, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
  const loaded = configFile ? loadConfig({ path, env }) : loadConfig({ path, raw, env });
  let handle: GatewayHandle;
  try {
    const reload = configFile ? { reload: { path, env } } : {};
    handle = await start({ ...rest, ...reload, config: loaded.config, stateDir, loaded });
    if (waitReady) await handle.ready;
  } catch (err) {
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
  return {
    handle,
    url: handle.wsUrl,
    stateDir,
    raw,
    loaded,
    [Symbol.asyncDispose]: async () => {
      await handle.close("test done");
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Deep merge of plain objects (right wins); arrays and scalars are replaced. */
export function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      isPlain(prev) && isPlain(v) ? merge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

function isPlain(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
