// `keel logs` with the gateway down reads <state>/logs/keel.log itself and says so on stderr.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../client/fake-server.js";
import { runKeel, tempDir } from "../helpers/process.js";
import { keel, keelInteractive } from "./run.js";

describe("keel logs with the gateway down", () => {
  it("prints the stopped gateway's own log from the local file (exit 0), the notice on stderr", async () => {
    using dir = tempDir("keel-logs-local-");
    const gw = runKeel(["gateway", "run", "--port", "0", "--state-dir", dir.path]);
    await gw.port;
    gw.child.kill("SIGTERM");
    expect((await gw.exited).code).toBe(0);

    const env = { KEEL_STATE_DIR: dir.path, KEEL_GATEWAY_PORT: String(await freePort()) };
    const file = join(dir.path, "logs", "keel.log");
    const r = await keel(["logs"], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`keel: the gateway is not running; reading ${file}\n`);
    expect(r.stdout).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}keel gateway listening on ws:\/\/127\.0\.0\.1:\d+/m,
    );
    const json = await keel(["logs", "--json", "-n", "1"], env);
    const lines = json.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: expect.any(Number), msg: expect.any(String) });

    // A remote --url is another machine's gateway: no local fallback, the error stays.
    const remote = await keel(["logs", "--url", `ws://127.0.0.1:${await freePort()}`, "--token", "x"], env);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toMatch(/^keel: cannot reach the gateway/);
  });

  it("no gateway and no log file: the original error (exit 1)", async () => {
    using dir = tempDir("keel-logs-none-");
    const r = await keel(["logs"], { KEEL_STATE_DIR: dir.path, KEEL_GATEWAY_PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keel: cannot reach the gateway/);
  });

  it("--follow keeps reading the local file as lines are appended, until Ctrl+C", async () => {
    using dir = tempDir("keel-logs-follow-");
    const file = join(dir.path, "logs", "keel.log");
    mkdirSync(join(dir.path, "logs"));
    appendFileSync(file, `${JSON.stringify({ level: 30, time: 0, msg: "first" })}\n`);
    const env = { KEEL_STATE_DIR: dir.path, KEEL_GATEWAY_PORT: String(await freePort()) };
    await using p = keelInteractive(["logs", "-f", "--interval", "50"], env);
    await p.waitFor(/INFO {2}first/);
    appendFileSync(file, `${JSON.stringify({ level: 40, time: 0, msg: "second" })}\n`);
    await p.waitFor(/WARN {2}second/);
    p.child.kill("SIGINT");
    expect((await p.exited).code).toBe(0);
    expect(p.stderr()).toContain("the gateway is not running; reading");
  });
});
