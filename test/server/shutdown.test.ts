import { request } from "node:http";
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { start } from "../../src/server/start.js";
import { tempDir } from "../helpers/process.js";

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("bounded shutdown", () => {
  it("a hook that never settles and a startup step that ignores its abort do not hold close()", async () => {
    using dir = tempDir();
    let logged = "";
    const logger = pino(
      { level: "warn" },
      new Writable({
        write(chunk, _enc, cb) {
          logged += chunk;
          cb();
        },
      }),
    );
    const loaded = loadConfig({
      path: "/nonexistent",
      raw: { gateway: { port: 0, shutdownTimeoutMs: 300 } },
      env: {},
    });
    let laterHookRan = false;
    const gw = await start({
      config: loaded.config,
      stateDir: dir.path,
      logger,
      steps: [{ name: "stuck-step", run: () => new Promise<void>(() => {}) }],
      shutdownHooks: [
        { name: "after-stuck", run: () => void (laterHookRan = true) },
        { name: "stuck-hook", run: () => new Promise<void>(() => {}) },
      ],
    });
    expect(await get(`${gw.url}/healthz`)).toBe(200);

    await gw.close("test");
    // The hooks after the stuck one ran: the listener is gone and the state lock released.
    expect(laterHookRan).toBe(true);
    await expect(get(`${gw.url}/healthz`)).rejects.toThrow();
    expect(logged).toContain("shutdown hook timed out");
    expect(logged).toContain('"hook":"stuck-hook"');
    await using again = await start({ config: loaded.config, stateDir: dir.path });
    expect(await get(`${again.url}/healthz`)).toBe(200);
  });
});
