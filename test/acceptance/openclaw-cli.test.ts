// Acceptance: the real OpenClaw 2026.9.6 CLI (KEEL_OPENCLAW_BIN, set on CI's Node 24 leg) against a Keel process.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_TOKEN } from "../helpers/gateway.js";
import {
  HAS_SCRIPT,
  type OpenClawHome,
  type OpenClawResult,
  OPENCLAW_BIN,
  openclawHome,
  plain,
} from "../helpers/openclaw.js";
import { exchange, type RecordedLine, recorded } from "../helpers/recorded.js";
import { type ProcessVendorGateway, gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { type Exchange, exchanges, type RecordingProxy, recordingProxy } from "../helpers/ws-proxy.js";

const REPLY = "Hello from the mock model.";

/**
 * Recorded commands (file name in test/fixtures/wire/clients) that do not yet behave against Keel
 * as against the reference, each with what the CLI printed when run here. Not run: when one is
 * fixed, move it into the suite below with its assertions.
 */
export const KNOWN_GAPS: readonly { command: string; args: string; reason: string }[] = [];

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

// Several CLI starts per test (1-2 s each when idle, several times that beside the other suites).
describe.skipIf(!OPENCLAW_BIN)(
  "the real OpenClaw CLI against a Keel gateway process",
  { timeout: 180_000 },
  () => {
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
      const json = JSON.parse(
        (await command("gateway_health_--json", ["gateway", "health", "--json"])).stdout,
      );
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

    it("status --json: the gateway reachable, its sessions by agent and the agents of the CLI projection", async () => {
      const r = await command("status_--json", ["status", "--json"]);
      const json = JSON.parse(r.stdout);
      expect(JSON.stringify(json)).toContain(`127.0.0.1:${proxy.port}`);
      const status = answer(r.rpc, "status") as { sessions: { byAgent: unknown[] }; cliProjection: unknown };
      expect(status.sessions.byAgent).toEqual([expect.objectContaining({ agentId: "main" })]);
      expect(status.cliProjection).toMatchObject({ agents: { defaultId: "main", rows: [{ id: "main" }] } });
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
        (
          await command("gateway_status_--json_--require-rpc", [
            "gateway",
            "status",
            "--json",
            "--require-rpc",
          ])
        ).stdout,
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
      expect(JSON.parse(json.stdout)).toMatchObject({
        status: "ok",
        result: { payloads: [{ text: REPLY }] },
      });
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
      expect(await call("call_sessions.delete", "sessions.delete")).toMatchObject({
        ok: true,
        deleted: true,
      });
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
      expect(answer(compact.rpc, "sessions.compact")).toMatchObject({
        ok: true,
        key: "agent:main:compat-cli",
      });
      const archive = await command("sessions_archive", ["sessions", "archive", "agent:main:compat-agent"]);
      expect(answer(archive.rpc, "sessions.patch")).toMatchObject({
        ok: true,
        key: "agent:main:compat-agent",
      });
      const del = await command("sessions_delete", ["sessions", "delete", "agent:main:compat-cli", "--yes"]);
      expect(answer(del.rpc, "sessions.delete")).toMatchObject({ ok: true, deleted: true });
      const listed = await call("call_sessions.list", "sessions.list");
      expect(listed.sessions.map((s: { key: string }) => s.key)).not.toContain("agent:main:compat-cli");
    });

    it("status --all and status --deep: channels, stability, health and last heartbeat sections", async () => {
      const all = await command("status_--all", ["status", "--all"]);
      expect(all.stdout).toMatch(/reachable/);
      expect(answer(all.rpc, "channels.status")).toBeDefined();
      expect(answer(all.rpc, "diagnostics.stability")).toBeDefined();
      const deep = await command("status_--deep", ["status", "--deep"]);
      expect(deep.stdout).toMatch(/Last heartbeat\s+│ none/);
      expect(deep.stdout).toMatch(/Gateway\s+│ reachable/);
      expect(deep.stdout).toMatch(/No channels configured/);
    });

    it("gateway stability shows Keel's recorder", async () => {
      const r = await command("gateway_stability", ["gateway", "stability"]);
      expect(r.stdout).toMatch(/Gateway Stability\s+Events: \d+\/\d+/);
    });

    it("models list and models list --json show the configured model", async () => {
      expect((await command("models_list", ["models", "list"])).stdout).toMatch(
        /mock\/mock-model\s+text\s+128k/,
      );
      const json = JSON.parse((await command("models_list_--json", ["models", "list", "--json"])).stdout);
      expect(json.models).toContainEqual(
        expect.objectContaining({ key: "mock/mock-model", available: true }),
      );
    });

    it("channels status, cron list/status, devices list, nodes status, system heartbeat last: nothing configured", async () => {
      const channels = await command("channels_status", ["channels", "status"]);
      expect(channels.stdout).toMatch(/Gateway reachable\.\s+- no configured chat channels/);
      expect((await command("cron_list", ["cron", "list"])).stdout).toMatch(/No automations\./);
      expect(JSON.parse((await command("cron_status", ["cron", "status"])).stdout)).toMatchObject({
        enabled: false,
        jobs: 0,
      });
      expect((await command("devices_list", ["devices", "list"])).stdout).toMatch(
        /No device pairing entries\./,
      );
      expect((await command("nodes_status", ["nodes", "status"])).stdout).toMatch(
        /Known: 0 · Paired: 0 · Connected: 0/,
      );
      expect((await command("system_heartbeat_last", ["system", "heartbeat", "last"])).stdout.trim()).toBe(
        "null",
      );
    });

    it.skipIf(!HAS_SCRIPT)(
      "tui --message on a terminal: connects, sends, streams the reply, exits on Ctrl-C",
      async () => {
        proxy.reset();
        const before = gw.fake.requestCount;
        const args = ["tui", "--session", "compat-tui", "--message", "hello from the tui"];
        const r = await oc.runInTerminal(
          args,
          (shown) => shown.includes(REPLY) && /connected \| idle/.test(shown),
        );
        const lines = [...proxy.lines];
        expect(r.code, plain(r.output)).toBe(0);
        expect(plain(r.output)).toContain(REPLY);
        expect(gw.fake.requestCount).toBe(before + 1);
        // The same calls with the same outcomes (the reference's TUI polled describe/list a few more
        // times while its reply streamed). It asks for task suggestions only from a gateway that lists
        // the method; Keel does not.
        const calls = (ls: readonly RecordedLine[]) => [...new Set(exchanges(ls).map(key))].sort();
        const reference = calls(recorded("tui_tui_--message")).filter(
          (k) => !k.startsWith("taskSuggestions.list"),
        );
        expect(calls(lines)).toEqual(reference);
        const send = exchanges(lines).find((e) => e.method === "chat.send");
        expect(send?.params).toMatchObject({
          sessionKey: "agent:main:compat-tui",
          message: "hello from the tui",
        });
      },
    );

    it.skipIf(!HAS_SCRIPT)(
      "resume <key> on a terminal: finds the session and shows its history",
      async () => {
        proxy.reset();
        const r = await oc.runInTerminal(
          ["resume", "compat-tui"],
          (shown) =>
            shown.includes("hello from the tui") && shown.includes(REPLY) && /connected \| idle/.test(shown),
        );
        const lines = [...proxy.lines];
        expect(r.code, plain(r.output)).toBe(0);
        const calls = (ls: readonly RecordedLine[]) => [...new Set(exchanges(ls).map(key))].sort();
        const reference = calls(recorded("tui_resume")).filter((k) => !k.startsWith("taskSuggestions.list"));
        expect(calls(lines)).toEqual(reference);
        const history = exchanges(lines).find((e) => e.method === "chat.history");
        expect(history?.params).toMatchObject({ sessionKey: "agent:main:compat-tui" });
      },
    );

    for (const gap of KNOWN_GAPS) it.todo(`known gap: openclaw ${gap.args} (${gap.command}): ${gap.reason}`);
  },
);
