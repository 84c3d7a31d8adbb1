// Acceptance: the real OpenClaw 2026.9.6 CLI (KEEL_OPENCLAW_BIN, set on CI's Node 24 leg) against a Keel process.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { type OpenClawHome, type OpenClawResult, OPENCLAW_BIN, openclawHome } from "../helpers/openclaw.js";
import { exchange, type RecordedLine, recorded } from "../helpers/recorded.js";
import { type ProcessVendorGateway, gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { type Exchange, exchanges, type RecordingProxy, recordingProxy } from "../helpers/ws-proxy.js";

const REPLY = "Hello from the mock model.";

/**
 * Recorded commands (file name in test/fixtures/wire/clients) that do not yet behave against Keel
 * as against the reference, each with what the CLI printed when run here. Not run: when one is
 * fixed, move it into the suite below with its assertions.
 */
export const KNOWN_GAPS: readonly { command: string; args: string; reason: string }[] = [
  {
    command: "status_--json",
    args: "status --json",
    reason:
      "exit 1, `Cannot read properties of undefined (reading 'map')`: the CLI sends status {includeCliProjection: true} and reads the reference's `cliProjection` block, which Keel's status does not return",
  },
  {
    command: "status_--all",
    args: "status --all",
    reason:
      "exit 0 but sections lost: channels.status and diagnostics.stability answer INVALID_REQUEST `unknown method` (the reference answers both)",
  },
  {
    command: "status_--deep",
    args: "status --deep",
    reason:
      "exit 0 but sections lost: channels.status and last-heartbeat answer INVALID_REQUEST `unknown method`",
  },
  {
    command: "gateway_stability",
    args: "gateway stability",
    reason: "exit 1: diagnostics.stability answers INVALID_REQUEST `unknown method: diagnostics.stability`",
  },
  {
    command: "models_list",
    args: "models list",
    reason:
      'exit 1 without calling models.list: `active gateway does not support required capability "published-model-catalog"` (hello-ok has no features.capabilities)',
  },
  {
    command: "models_list_--json",
    args: "models list --json",
    reason: "exit 1, the same missing `published-model-catalog` capability",
  },
  {
    command: "channels_status",
    args: "channels status",
    reason:
      "exit 0 but the gateway part is lost: channels.status answers INVALID_REQUEST `unknown method: channels.status`",
  },
  {
    command: "cron_list",
    args: "cron list",
    reason: "exit 1: cron.list answers INVALID_REQUEST `unknown method: cron.list`",
  },
  {
    command: "cron_status",
    args: "cron status",
    reason: "exit 1: cron.status answers INVALID_REQUEST `unknown method: cron.status`",
  },
  {
    command: "devices_list",
    args: "devices list",
    reason: "exit 1: device.pair.list answers INVALID_REQUEST `unknown method: device.pair.list`",
  },
  {
    command: "nodes_status",
    args: "nodes status",
    reason: "exit 1: node.list answers INVALID_REQUEST `unknown method: node.list`",
  },
  {
    command: "system_heartbeat_last",
    args: "system heartbeat last",
    reason: "exit 1: last-heartbeat answers INVALID_REQUEST `unknown method: last-heartbeat`",
  },
  {
    command: "tui_tui_--message",
    args: "tui --session compat-tui --message …",
    reason:
      "not driven here: without a TTY the TUI draws one frame and exits 0 before it connects; with one it calls sessions.subscribe, question.list, plugin.approval.list, taskSuggestions.list, commands.list and sessions.describe, none of which Keel serves yet",
  },
  {
    command: "tui_resume",
    args: "tui, then /resume",
    reason: "not driven here: interactive (needs a TTY and typed input); the same TUI methods are missing",
  },
];

const key = (e: Pick<Exchange, "method" | "ok" | "error">) =>
  `${e.method} ${e.ok === undefined ? "?" : e.ok ? "ok" : `ERR ${e.error?.code ?? "?"}`}`;

/**
 * How Keel's exchanges differ from the reference's for the same command: each reference request
 * must have been made with the same outcome (ok, or the same error code; one the reference never
 * saw answered matches any). Keel may see extra `connect`/`health` calls that succeeded: the CLI
 * checks a gateway it did not start with one before the command's own socket.
 */
function rpcDiff(reference: readonly RecordedLine[], actual: readonly RecordedLine[]): string[] {
  const left = exchanges(actual);
  const problems: string[] = [];
  for (const ref of exchanges(reference)) {
    const i = left.findIndex((e) => e.method === ref.method && (ref.ok === undefined || key(e) === key(ref)));
    if (i === -1) {
      const got = left.filter((e) => e.method === ref.method).map(key);
      problems.push(`reference ${key(ref)}, keel ${got.length ? got.join(", ") : "never called it"}`);
    } else left.splice(i, 1);
  }
  for (const e of left)
    if (!(e.ok === true && (e.method === "connect" || e.method === "health")))
      problems.push(`keel only: ${key(e)}`);
  return problems;
}

describe.skipIf(!OPENCLAW_BIN)("the real OpenClaw CLI against a Keel gateway process", () => {
  let gw: ProcessVendorGateway;
  let proxy: RecordingProxy;
  let oc: OpenClawHome;

  beforeAll(async () => {
    gw = await gatewayWithFakeVendor(() => ({ type: "reply", text: REPLY }), {
      mode: "process",
      config: { gateway: { auth: { mode: "token", token: TEST_TOKEN } } },
    });
    proxy = await recordingProxy(gw.url);
    oc = openclawHome(OPENCLAW_BIN!, proxy.port, TEST_TOKEN);
  });

  afterAll(async () => {
    await proxy?.close();
    await gw?.[Symbol.asyncDispose]();
    oc?.[Symbol.dispose]();
  });

  /** Runs one recorded command; it must exit 0 and make the reference's calls with the reference's outcomes. */
  async function command(
    name: string,
    args: string[],
    exit = 0,
  ): Promise<OpenClawResult & { rpc: Exchange[] }> {
    proxy.reset();
    const result = await oc.run(args);
    const lines = [...proxy.lines];
    expect(result.code, `openclaw ${args.join(" ")}:\n${result.output}`).toBe(exit);
    expect(rpcDiff(recorded(name), lines), `openclaw ${args.join(" ")}`).toEqual([]);
    return { ...result, rpc: exchanges(lines) };
  }

  /** The CLI's answer to `method` as Keel sent it. */
  const answer = (rpc: Exchange[], method: string): any =>
    rpc.find((e) => e.method === method && e.ok)?.payload;

  /** `gateway call <method>` with the params the reference's CLI sent in `<name>.jsonl`; stdout is the JSON result. */
  async function call(name: string, method: string, extra: string[] = []): Promise<any> {
    const { params } = exchange(name, method);
    const r = await command(name, [
      "gateway",
      "call",
      method,
      ...extra,
      "--json",
      "--params",
      JSON.stringify(params),
    ]);
    return JSON.parse(r.stdout);
  }

  it("health and health --json", async () => {
    const text = await command("health", ["health"]);
    expect(text.stdout).toMatch(/Agents: main \(default\)/);
    expect(text.stdout).toMatch(/Session store \(main\): .*sessions\.sqlite/);
    const json = JSON.parse((await command("health_--json", ["health", "--json"])).stdout);
    expect(json).toMatchObject({ ok: true, defaultAgentId: "main" });
  });

  it("gateway health and gateway health --json", async () => {
    expect((await command("gateway_health", ["gateway", "health"])).stdout).toMatch(/Gateway Health\s+OK/);
    const json = JSON.parse((await command("gateway_health_--json", ["gateway", "health", "--json"])).stdout);
    expect(json.ok).toBe(true);
  });

  it("status and status --usage show the gateway as reachable with token auth", async () => {
    for (const [name, args] of [
      ["status", ["status"]],
      ["status_--usage", ["status", "--usage"]],
    ] as const) {
      const r = await command(name, [...args]);
      expect(r.stdout).toMatch(
        new RegExp(`Gateway\\s+│ local · ws://127\\.0\\.0\\.1:${proxy.port} .*reachable`),
      );
      expect(answer(r.rpc, "status")).toBeDefined();
    }
  });

  it("gateway probe and gateway probe --json: reachable, and the probe socket gets no read scope", async () => {
    const text = await command("gateway_probe", ["gateway", "probe"]);
    expect(text.stdout).toMatch(/Reachable: yes/);
    expect(text.stdout).toMatch(/Capability: connected-no-operator-scope/);
    const json = JSON.parse((await command("gateway_probe_--json", ["gateway", "probe", "--json"])).stdout);
    expect(json).toMatchObject({ ok: true, capability: "connected_no_operator_scope" });
  });

  it("gateway status and gateway status --json --require-rpc", async () => {
    const text = await command("gateway_status", ["gateway", "status"]);
    expect(text.stdout).toMatch(new RegExp(`Probe target: ws://127\\.0\\.0\\.1:${proxy.port}`));
    expect(text.stdout).toMatch(/Gateway version: \d+\.\d+\.\d+/);
    const json = JSON.parse(
      (await command("gateway_status_--json_--require-rpc", ["gateway", "status", "--json", "--require-rpc"]))
        .stdout,
    );
    expect(json.cli.version).toBe("2026.9.6");
    expect(JSON.stringify(json)).toContain(`127.0.0.1:${proxy.port}`);
  });

  it("gateway usage-cost", async () => {
    const r = await command("gateway_usage-cost", ["gateway", "usage-cost"]);
    expect(r.stdout).toMatch(/Usage cost \(30 days\)/);
    expect(answer(r.rpc, "usage.cost")).toMatchObject({ days: 30 });
  });

  it("system presence lists the gateway itself", async () => {
    const r = await command("system_presence", ["system", "presence"]);
    const entries = JSON.parse(r.stdout) as { mode: string; reason: string; text: string }[];
    expect(entries.find((e) => e.reason === "self")).toMatchObject({ mode: "gateway" });
  });

  it("system event sends wake", async () => {
    const r = await command("system_event", ["system", "event", "--mode", "now", "--text", "compat event"]);
    expect(r.stdout.trim()).toBe("ok");
    expect(r.rpc.find((e) => e.method === "wake")?.params).toMatchObject({
      mode: "now",
      text: "compat event",
    });
  });

  it("agent -m, agent -m --json and agent -m on the main session return the vendor's reply", async () => {
    const first = await command("agent_-m", [
      "agent",
      "--agent",
      "main",
      "--session-key",
      "compat-cli",
      "-m",
      "hello from the cli",
    ]);
    expect(first.stdout.trim()).toBe(REPLY);
    expect(JSON.stringify(gw.fake.requests.at(-1)?.body)).toContain("hello from the cli");
    const json = await command("agent_-m_--json", [
      "agent",
      "--agent",
      "main",
      "--session-key",
      "compat-cli",
      "-m",
      "second turn",
      "--json",
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "ok", result: { payloads: [{ text: REPLY }] } });
    const main = await command("agent_-m__main_session_", ["agent", "--agent", "main", "-m", "hello main"]);
    expect(main.stdout.trim()).toBe(REPLY);
    expect(answer(main.rpc, "agent")).toMatchObject({ status: "ok" });
  });

  it("logs and logs --json show Keel's own log lines", async () => {
    const text = await command("logs", ["logs"]);
    expect(text.stdout).toMatch(/Log file: .*keel\.log/);
    expect(text.stdout).toMatch(/ info /);
    const lines = (await command("logs_--json", ["logs", "--json"])).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; message?: string });
    expect(lines[0]?.type).toBe("meta");
    const logs = lines.filter((l) => l.type === "log");
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.every((l) => typeof l.message === "string" && l.message !== "")).toBe(true);
  });

  it("gateway call: health, status, system-presence, config.get, models.list, agents.list, sessions.list", async () => {
    expect(await call("call_health", "health")).toMatchObject({ ok: true });
    expect(await call("call_status", "status")).toBeTypeOf("object");
    expect(await call("call_system-presence", "system-presence")).toBeInstanceOf(Array);
    const config = await call("call_config.get", "config.get");
    expect(JSON.stringify(config)).not.toContain(TEST_TOKEN);
    for (const name of ["call_models.list", "call_models.list_cli_params_"]) {
      const { models } = await call(name, "models.list");
      expect(models).toContainEqual(expect.objectContaining({ id: "mock-model", provider: "mock" }));
    }
    expect(await call("call_agents.list", "agents.list")).toMatchObject({ defaultId: "main" });
    expect((await call("call_sessions.list", "sessions.list")).sessions).toBeInstanceOf(Array);
  });

  it("gateway call: chat.send, chat.history, chat.abort, chat.inject on one session", async () => {
    expect(await call("call_chat.send", "chat.send")).toMatchObject({ runId: "cs-1796114570-ref" });
    const history = await call("call_chat.history", "chat.history");
    expect(JSON.stringify(history.messages)).toContain("hello compat");
    expect(await call("call_chat.abort", "chat.abort")).toMatchObject({ ok: true });
    expect(await call("call_chat.inject", "chat.inject")).toMatchObject({
      ok: true,
      messageId: expect.any(String),
    });
  });

  it("gateway call: agent (ack), agent --expect-final, agent.wait", async () => {
    expect(await call("call_agent_ack_", "agent")).toMatchObject({ status: "accepted" });
    const final = await call("call_agent_--expect-final_", "agent", ["--expect-final"]);
    expect(final).toMatchObject({
      runId: "ag-1796114570-ref",
      status: "ok",
      result: { payloads: [{ text: REPLY }] },
    });
    expect(await call("call_agent.wait", "agent.wait")).toMatchObject({
      runId: "ag-1796114570-ref",
      status: "ok",
    });
  });

  it("gateway call: sessions.patch, wake, logs.tail, sessions.reset, sessions.delete", async () => {
    expect(await call("call_sessions.patch", "sessions.patch")).toMatchObject({
      ok: true,
      key: "agent:main:compat",
      entry: { label: "compat-label-1796114570-ref" },
    });
    expect(await call("call_wake", "wake")).toMatchObject({ ok: true });
    expect((await call("call_logs.tail", "logs.tail")).lines).toHaveLength(3);
    expect(await call("call_sessions.reset", "sessions.reset")).toMatchObject({
      ok: true,
      key: "agent:main:compat",
    });
    expect(await call("call_sessions.delete", "sessions.delete")).toMatchObject({ ok: true, deleted: true });
  });

  it("gateway call of an unknown method exits 1 with the reference's error", async () => {
    const { params } = exchange("call_no.such.method", "no.such.method");
    const r = await command(
      "call_no.such.method",
      ["gateway", "call", "no.such.method", "--json", "--params", JSON.stringify(params)],
      1,
    );
    expect(r.output).toContain("unknown method: no.such.method");
  });

  it("sessions compact, sessions archive, sessions delete through the gateway", async () => {
    const compact = await command("sessions_compact", [
      "sessions",
      "compact",
      "agent:main:compat-cli",
      "--max-lines",
      "10",
    ]);
    expect(answer(compact.rpc, "sessions.compact")).toMatchObject({ ok: true, key: "agent:main:compat-cli" });
    const archive = await command("sessions_archive", ["sessions", "archive", "agent:main:compat-agent"]);
    expect(answer(archive.rpc, "sessions.patch")).toMatchObject({ ok: true, key: "agent:main:compat-agent" });
    const del = await command("sessions_delete", ["sessions", "delete", "agent:main:compat-cli", "--yes"]);
    expect(answer(del.rpc, "sessions.delete")).toMatchObject({ ok: true, deleted: true });
    const listed = await call("call_sessions.list", "sessions.list");
    expect(listed.sessions.map((s: { key: string }) => s.key)).not.toContain("agent:main:compat-cli");
  });

  for (const gap of KNOWN_GAPS) it.todo(`known gap: openclaw ${gap.args} (${gap.command}): ${gap.reason}`);
});
