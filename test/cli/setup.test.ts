// Setup commands with the built CLI: init, models, gateway install|uninstall, completion.
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { freePort } from "../client/fake-server.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai.js";
import { CLI, tempDir } from "../helpers/process.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { keel } from "./run.js";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: "sk-good", models: ["m1", "other"] });
});
afterAll(() => fake.close());

describe("keel init", () => {
  it("--openai writes a starter config that loads, keeps the key a ${VAR}, and prints the next commands", async () => {
    using dir = tempDir("keel-init-");
    const r = await keel(["init", "--openai", "--state-dir", dir.path]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const path = join(dir.path, "keel.json");
    const text = readFileSync(path, "utf8");
    expect(text).toContain('"apiKey": "${OPENAI_API_KEY}"');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON5.parse(text)).toEqual({
      models: {
        providers: {
          openai: {
            baseUrl: "https://api.openai.com/v1",
            apiKey: "${OPENAI_API_KEY}",
            models: [{ id: "gpt-4o-mini" }],
          },
        },
      },
      agents: { defaults: { model: "openai/gpt-4o-mini" } },
    });
    // Valid once the variable is set, as the gateway will load it.
    const loaded = loadConfig({ path, env: { OPENAI_API_KEY: "sk-x" } });
    expect(loaded.config.models.providers["openai"]?.apiKey).toBe("sk-x");
    expect(r.stdout).toContain("$OPENAI_API_KEY");
    expect(r.stdout).toContain(
      `next:\n  keel gateway run --state-dir ${dir.path}\n  keel chat --state-dir ${dir.path}\n`,
    );
  });

  it("--base-url --api-key-env --model: a config doctor then finds healthy against the server", async () => {
    using dir = tempDir("keel-init-");
    const r = await keel([
      "init",
      "--base-url",
      fake.url,
      "--api-key-env",
      "FAKE_KEY",
      "--model",
      "m1",
      "--provider",
      "local",
      "--state-dir",
      dir.path,
    ]);
    expect(r.code).toBe(0);
    const raw = JSON5.parse(readFileSync(join(dir.path, "keel.json"), "utf8"));
    expect(raw.models.providers.local).toEqual({
      baseUrl: fake.url,
      apiKey: "${FAKE_KEY}",
      models: [{ id: "m1" }],
    });
    expect(raw.agents.defaults.model).toBe("local/m1");
    const env = {
      KEEL_STATE_DIR: dir.path,
      KEEL_GATEWAY_PORT: String(await freePort()),
      FAKE_KEY: "sk-good",
    };
    const doc = await keel(["doctor", "--json"], env);
    expect(doc.code).toBe(0);
    const checks = JSON.parse(doc.stdout).checks as { name: string; status: string }[];
    expect(checks.find((c) => c.name === "provider local")?.status).toBe("ok");
  });

  it("never overwrites without --force; --force replaces it and keeps the old file as .bak", async () => {
    using dir = tempDir("keel-init-");
    const path = join(dir.path, "keel.json");
    writeFileSync(path, "{ gateway: { port: 19999 } }");
    const refused = await keel(["init", "--openai", "--state-dir", dir.path]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`keel: ${path} already exists; not overwriting it`);
    expect(refused.stderr).toContain("--force");
    expect(readFileSync(path, "utf8")).toBe("{ gateway: { port: 19999 } }");
    const forced = await keel(["init", "--openai", "--force", "--model", "gpt-4.1", "--state-dir", dir.path]);
    expect(forced.code).toBe(0);
    expect(JSON5.parse(readFileSync(path, "utf8")).agents.defaults.model).toBe("openai/gpt-4.1");
    expect(readFileSync(`${path}.bak`, "utf8")).toBe("{ gateway: { port: 19999 } }");
  });

  it("--anthropic writes an anthropic-messages provider that loads", async () => {
    using dir = tempDir("keel-init-");
    const r = await keel(["init", "--anthropic", "--state-dir", dir.path]);
    expect(r.code).toBe(0);
    const path = join(dir.path, "keel.json");
    expect(JSON5.parse(readFileSync(path, "utf8"))).toEqual({
      models: {
        providers: {
          anthropic: {
            api: "anthropic-messages",
            baseUrl: "https://api.anthropic.com",
            apiKey: "${ANTHROPIC_API_KEY}",
            models: [{ id: "claude-sonnet-4-5" }],
          },
        },
      },
      agents: { defaults: { model: "anthropic/claude-sonnet-4-5" } },
    });
    const loaded = loadConfig({ path, env: { ANTHROPIC_API_KEY: "sk-ant" } });
    expect(loaded.config.models.providers["anthropic"]?.api).toBe("anthropic-messages");
    expect(r.stdout).toContain("$ANTHROPIC_API_KEY");
  });

  it("usage errors (exit 2): no flags without a terminal, a config that would not validate, two providers", async () => {
    using dir = tempDir("keel-init-");
    const none = await keel(["init", "--state-dir", dir.path]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no terminal is attached to ask/);
    expect(none.stderr).toMatch(/pass --openai, --anthropic, or --base-url URL --api-key-env NAME/);
    const bad = await keel(["init", "--base-url", "ftp://x", "--api-key-env", "K", "--state-dir", dir.path]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/would be invalid: models\.providers\.custom\.baseUrl/);
    const both = await keel(["init", "--anthropic", "--openai", "--state-dir", dir.path]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/are alternatives; pass one/);
    expect(existsSync(join(dir.path, "keel.json"))).toBe(false);
  });
});

describe("keel init on a terminal", () => {
  // script(1) allocates a pty, so init sees a TTY and asks.
  const hasScript = spawnSync("script", ["--version"]).status === 0;
  it.skipIf(!hasScript)("without flags it asks for the provider, URL, key variable and model", async () => {
    using dir = tempDir("keel-init-tty-");
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} init --state-dir ${JSON.stringify(dir.path)}`;
    const child = spawn("script", ["-qec", cmd, "/dev/null"], { env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    const waiters: (() => void)[] = [];
    child.stdout.on("data", (d) => {
      out += d;
      for (const w of waiters.splice(0)) w();
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const answer = async (prompt: string, text: string) => {
      while (!out.includes(prompt)) await new Promise<void>((r) => waiters.push(r));
      child.stdin.write(`${text}\r`);
    };
    await answer("Provider: 1) OpenAI  2) another OpenAI-compatible server [1]: ", "2");
    await answer("Base URL", fake.url);
    await answer("Environment variable holding its API key [LLM_API_KEY]: ", "");
    await answer("Model id (empty: add one later): ", "m1");
    expect(await exited).toBe(0);
    const raw = JSON5.parse(readFileSync(join(dir.path, "keel.json"), "utf8"));
    expect(raw).toEqual({
      models: {
        providers: { custom: { baseUrl: fake.url, apiKey: "${LLM_API_KEY}", models: [{ id: "m1" }] } },
      },
      agents: { defaults: { model: "custom/m1" } },
    });
  });
});

describe("keel models", () => {
  const goodModels = [{ id: "m1", contextWindow: 8192 }, { id: "m2" }];
  const dead = (refused: number) => ({ baseUrl: `http://127.0.0.1:${refused}/v1`, models: [{ id: "x" }] });
  function modelsConfig(refused: number) {
    return {
      models: {
        providers: {
          good: { baseUrl: fake.url, apiKey: "sk-good", models: goodModels },
          dead: dead(refused),
        },
      },
      agents: { defaults: { model: "good/m1" } },
    };
  }
  const expected = [
    { id: "m1", provider: "good", contextWindow: 8192, state: "ok" },
    { id: "m2", provider: "good", contextWindow: 128_000, state: "not served" },
    { id: "x", provider: "dead", state: "provider unreachable", detail: expect.stringContaining("refused") },
  ];

  it("from the running gateway's models.list, each with its provider's state", async () => {
    await using gw = await gatewayWithFakeVendor([], {
      mode: "process",
      provider: "good",
      fake: { apiKey: "sk-good", models: ["m1", "other"] },
      config: { models: { providers: { good: { models: goodModels }, dead: dead(await freePort()) } } },
    });
    const r = await keel(["models", "--json"], gw.env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      source: "gateway",
      models: expected.map((m) => expect.objectContaining(m)),
    });
    const human = await keel(["models"], gw.env);
    expect(human.stdout).toMatch(/^model +provider +context +state$/m);
    expect(human.stdout).toMatch(/^good\/m1 +good +8,192 +ok$/m);
    expect(human.stdout).toMatch(/^dead\/x +dead +128,000 +provider unreachable \(connection refused/m);
    const before = gw.fake.requestCount;
    const quiet = await keel(["models", "--json", "--no-probe"], gw.env);
    expect(JSON.parse(quiet.stdout).models.map((m: { state: string }) => m.state)).toEqual([
      "not probed",
      "not probed",
      "not probed",
    ]);
    expect(gw.fake.requestCount).toBe(before);
  });

  it("with the gateway down: from the local config, saying so on stderr", async () => {
    using dir = tempDir("keel-models-");
    const path = join(dir.path, "keel.json");
    writeFileSync(path, JSON.stringify(modelsConfig(await freePort())));
    const r = await keel(["models", "--json"], {
      KEEL_STATE_DIR: dir.path,
      KEEL_GATEWAY_PORT: String(await freePort()),
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`keel: the gateway is not running; listing the models in ${path}\n`);
    expect(JSON.parse(r.stdout)).toEqual({
      source: "config",
      models: expected.map((m) => expect.objectContaining(m)),
    });
  });
});

describe("keel gateway install|uninstall", () => {
  it("writes a user unit that restarts on failure but not on a config error (78); --print shows the same", async () => {
    using xdg = tempDir("keel-xdg-");
    using state = tempDir("keel-unit-state-");
    const env = { XDG_CONFIG_HOME: xdg.path };
    const r = await keel(["gateway", "install", "--state-dir", state.path], env);
    expect(r.code).toBe(0);
    const file = join(xdg.path, "systemd", "user", "keel.service");
    expect(r.stdout).toContain(`wrote ${file}`);
    expect(r.stdout).toContain("systemctl --user daemon-reload && systemctl --user enable --now keel");
    const unit = readFileSync(file, "utf8");
    const lines = unit.split("\n");
    expect(lines).toContain(`ExecStart=${process.execPath} ${realpathSync(CLI)} gateway run`);
    expect(lines).toContain(`Environment=KEEL_STATE_DIR=${state.path}`);
    expect(lines).toContain(`EnvironmentFile=-${join(state.path, "env")}`);
    expect(lines).toContain("Restart=on-failure");
    expect(lines).toContain("RestartPreventExitStatus=78");
    expect(lines).toContain("WantedBy=default.target");
    expect(unit).not.toContain("KEEL_CONFIG_PATH");
    const printed = await keel(["gateway", "install", "--print", "--state-dir", state.path], env);
    expect(printed.stdout).toBe(unit);
    if (hasSystemdAnalyze()) {
      const verify = await run("systemd-analyze", ["verify", file]);
      expect(verify.stderr).toBe("");
      expect(verify.code).toBe(0);
    }

    // A different unit already there (other flags) is not replaced silently.
    const other = await keel(
      ["gateway", "install", "--state-dir", state.path, "--config", "/etc/keel.json"],
      env,
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/differs .*\n.*--force/);
    const forced = await keel(
      ["gateway", "install", "--force", "--state-dir", state.path, "--config", "/etc/keel.json"],
      env,
    );
    expect(forced.code).toBe(0);
    expect(readFileSync(file, "utf8").split("\n")).toContain("Environment=KEEL_CONFIG_PATH=/etc/keel.json");

    const removed = await keel(["gateway", "uninstall"], env);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`removed ${file}`);
    expect(existsSync(file)).toBe(false);
    const again = await keel(["gateway", "uninstall"], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing to remove");
  });

  it("quotes a state dir with spaces and escapes % for systemd", async () => {
    using xdg = tempDir("keel-xdg-");
    const r = await keel(["gateway", "install", "--print", "--state-dir", join(xdg.path, "my 100% dir")]);
    expect(r.stdout.split("\n")).toContain(`Environment="KEEL_STATE_DIR=${join(xdg.path, "my 100%% dir")}"`);
  });
});

describe("keel completion", () => {
  it("bash: completes subcommands and flags from the command tree", async () => {
    const r = await keel(["completion", "bash"]);
    expect(r.code).toBe(0);
    const complete = (words: string[]) =>
      execFileSync("bash", [
        "-c",
        `${r.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _keel; echo "\${COMPREPLY[*]}"`,
      ])
        .toString()
        .trim()
        .split(" ");
    expect(complete(["keel", "gat"])).toEqual(["gateway"]);
    expect(complete(["keel", "gateway", ""])).toEqual(
      expect.arrayContaining(["run", "install", "uninstall", "--help"]),
    );
    expect(complete(["keel", "sessions", "--agent", "ops", "sh"])).toEqual(["show"]);
    expect(complete(["keel", "health", "--pr"])).toEqual(["--probe"]);
  });

  it("zsh and fish scripts are generated from the same tree; other shells are a usage error", async () => {
    const zsh = await keel(["completion", "zsh"]);
    expect(zsh.stdout).toContain("bashcompinit");
    expect(zsh.stdout).toContain("complete -F _keel keel");
    const fish = await keel(["completion", "fish"]);
    expect(fish.stdout).toContain("complete -c keel -n '__fish_seen_subcommand_from gateway' -a install");
    expect((await keel(["completion", "tcsh"])).code).toBe(2);
  });
});

function hasSystemdAnalyze(): boolean {
  try {
    execFileSync("which", ["systemd-analyze"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, (err, _stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
}
