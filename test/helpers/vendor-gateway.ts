// Test fixture: a fake OpenAI vendor and a gateway wired to it, in-process or as a real process.
import {
  type FakeOpenAI,
  type FakeOpenAIOptions,
  type FakeScript,
  startFakeOpenAI,
} from "../fixtures/fake-openai.js";
import { merge, type StartGatewayOptions, startGateway, type TestGateway } from "./gateway.js";
import { type GatewayProcess, type LaunchOptions, spawnGateway } from "./process.js";

/** Which provider and models the vendor config declares. */
export interface VendorWiring {
  /** Provider id (default "mock"). */
  provider?: string;
  /** Configured model ids; the first is the default agent's model (default ["mock-model"]). */
  models?: string[];
  /** The provider's apiKey (none by default). */
  apiKey?: string;
}

/** The config part that points one provider at a fake vendor: what every fixture here shares. */
export interface VendorConfig {
  models: { providers: Record<string, { baseUrl: string; apiKey?: string; models: { id: string }[] }> };
  agents: { defaults: { model: string } };
  runs: { deltaThrottleMs: number };
}

/**
 * Config whose default agent runs `<provider>/<first model>` on the vendor at `baseUrl`, with
 * deltas unthrottled (each streamed chunk becomes its own event, so tests can count them).
 */
export function fakeVendorConfig(baseUrl: string, wiring: VendorWiring = {}): VendorConfig {
  const { provider = "mock", models = ["mock-model"], apiKey } = wiring;
  return {
    models: {
      providers: {
        [provider]: {
          baseUrl,
          ...(apiKey !== undefined ? { apiKey } : {}),
          models: models.map((id) => ({ id })),
        },
      },
    },
    agents: { defaults: { model: `${provider}/${models[0]}` } },
    runs: { deltaThrottleMs: 0 },
  };
}

export interface VendorGatewayOptions extends VendorWiring {
  /** Raw config deep-merged over the vendor config (objects merge; arrays and scalars replace). */
  config?: Record<string, unknown>;
  /** Other fake vendor options: `apiKey` it demands (also configured as the provider's), `models` it lists. */
  fake?: Omit<FakeOpenAIOptions, "script">;
}

export interface InProcessOptions extends VendorGatewayOptions {
  mode?: "in-process";
  /** Passed to start() through startGateway (methods, steps, env, waitReady, pingIntervalMs …). */
  start?: Omit<StartGatewayOptions, "config">;
}

export interface ProcessOptions extends VendorGatewayOptions {
  /** A real `keel gateway run` child, for tests that drive the CLI against it. */
  mode: "process";
  /** Extra `keel gateway run` arguments. */
  args?: string[];
  /** Extra environment of the gateway process (e.g. a profile's keyEnv variable). */
  env?: Record<string, string>;
  /** Runs on the fresh state dir before the gateway starts (write credentials.json there). */
  prepare?: (stateDir: string) => void;
  /** How the child is launched (e.g. `{ ulimitFiles: 1024 }`). */
  launch?: LaunchOptions;
}

interface Common {
  fake: FakeOpenAI;
  /** ws://127.0.0.1:PORT */
  url: string;
  port: number;
  stateDir: string;
  /** The raw config the gateway was given: the vendor config with `options.config` merged over it. */
  config: Record<string, unknown>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** In-process: the gateway handle (context, config source, close) and what loadConfig made of it. */
export interface InProcessVendorGateway extends Common {
  handle: TestGateway["handle"];
  loaded: TestGateway["loaded"];
}

/** A gateway process: `env` points the CLI at it, `output` is what it printed, `child` and `exited`. */
export interface ProcessVendorGateway extends Common, Omit<GatewayProcess, keyof Common> {}

/**
 * Starts the fake vendor with `script`, then a gateway whose default agent runs on it (provider
 * `mock`, model `mock-model`, `runs.deltaThrottleMs: 0`, `options.config` merged over that).
 * In-process through start() by default; `mode: "process"` spawns `keel gateway run`.
 * `await using` closes the gateway first, then the vendor, and removes the state dir.
 */
export async function gatewayWithFakeVendor(
  script?: FakeScript,
  options?: InProcessOptions,
): Promise<InProcessVendorGateway>;
export async function gatewayWithFakeVendor(
  script: FakeScript | undefined,
  options: ProcessOptions,
): Promise<ProcessVendorGateway>;
export async function gatewayWithFakeVendor(
  script: FakeScript = [],
  options: InProcessOptions | ProcessOptions = {},
): Promise<InProcessVendorGateway | ProcessVendorGateway> {
  const fake = await startFakeOpenAI({ ...options.fake, script });
  const apiKey = options.apiKey ?? options.fake?.apiKey;
  const wiring = { ...options, ...(apiKey !== undefined ? { apiKey } : {}) };
  const config = merge(
    fakeVendorConfig(fake.url, wiring) as unknown as Record<string, unknown>,
    options.config ?? {},
  );
  try {
    if (options.mode === "process") {
      const { env, prepare, launch } = options;
      const gw: GatewayProcess = await spawnGateway(options.args, config, {
        ...(env ? { env } : {}),
        ...(prepare ? { prepare } : {}),
        ...(launch ? { launch } : {}),
      });
      return { ...gw, fake, config, [Symbol.asyncDispose]: both(gw, fake) };
    }
    const gw = await startGateway({ ...options.start, config });
    const { handle, loaded, url, stateDir, raw } = gw;
    return {
      fake,
      url,
      port: handle.port,
      stateDir,
      config: raw,
      handle,
      loaded,
      [Symbol.asyncDispose]: both(gw, fake),
    };
  } catch (err) {
    await fake.close();
    throw err;
  }
}

/** Gateway first: its in-flight vendor calls end as client-closed instead of as vendor resets. */
function both(gw: AsyncDisposable, fake: FakeOpenAI): () => Promise<void> {
  return async () => {
    try {
      await gw[Symbol.asyncDispose]();
    } finally {
      await fake.close();
    }
  };
}
