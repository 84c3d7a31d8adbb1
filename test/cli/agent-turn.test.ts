// `keel agent` around its turn: Ctrl-C aborts the run (exit 130), an unconfigured --model is refused
// before sending, the wait spinner stays off a pipe, and a failed turn shows the same kind as `chat`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayClient } from "../../src/client/client.js";
import { freePort } from "../client/fake-server.js";
import { type FakeOpenAI, step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { gatewayWithFakeVendor, type ProcessVendorGateway } from "../helpers/vendor-gateway.js";
import { keel, keelInteractive, lastUser } from "./run.js";

let fake: FakeOpenAI;
let gw: ProcessVendorGateway;

beforeAll(async () => {
  // `dead` refuses connections: its turns fail as network errors.
  const deadPort = await freePort();
  gw = await gatewayWithFakeVendor(
    (req) => {
      const text = lastUser(req.body);
      if (text.includes("HANG")) return { type: "hang-after-headers", chunks: ["partial ", "answer"] };
      return step.reply(`Reply to: ${text}`);
    },
    {
      mode: "process",
      config: {
        models: {
          providers: { dead: { baseUrl: `http://127.0.0.1:${deadPort}/v1`, models: [{ id: "m" }] } },
        },
        agents: { entries: { broken: { model: "dead/m" } } },
      },
    },
  );
  fake = gw.fake;
}, 30_000);
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]();
});

/** A client of our own that watches the gateway's chat events. */
async function observer() {
  const token = readFileSync(join(gw.stateDir, "gateway-token"), "utf8").trim();
  const client = await GatewayClient.connect({
    url: `ws://127.0.0.1:${gw.port}`,
    token,
    scopes: ["operator.read"],
  });
  const events: { runId?: string; state?: string; sessionKey?: string }[] = [];
  client.on("chat", (p) => events.push(p as (typeof events)[number]));
  return { client, events };
}

describe("keel agent: Ctrl-C", () => {
  it("SIGINT mid-stream aborts the run on the gateway and exits 130", async () => {
    const { client, events } = await observer();
    try {
      await using cli = keelInteractive(
        ["agent", "-m", "HANG please", "--session-key", "sigint-1", "--json"],
        gw.env,
      );
      // Mid-stream: the model already sent text, and it will send no more.
      const delta = await eventually(
        () => events.find((e) => e.sessionKey === "agent:main:sigint-1" && e.state === "delta") ?? false,
        { timeoutMs: 20_000, message: "a streamed delta" },
      );
      cli.child.kill("SIGINT");
      const { code } = await cli.exited;
      expect(code).toBe(130);
      expect(cli.stderr()).toBe(`keel: aborted the agent run ${delta.runId} (Ctrl-C)\n`);
      expect(JSON.parse(cli.stdout())).toMatchObject({ runId: delta.runId, summary: "aborted" });
      // The gateway ended the run as aborted (not as the CLI going away), with the partial text kept.
      expect(events.some((e) => e.runId === delta.runId && e.state === "aborted")).toBe(true);
      const h = await client.request<{ messages: { role: string; aborted?: boolean; content: unknown }[] }>(
        "chat.history",
        { sessionKey: "sigint-1" },
      );
      expect(h.messages.at(-1)).toMatchObject({ role: "assistant", aborted: true });
      expect(JSON.stringify(h.messages.at(-1)?.content)).toContain("partial answer");
    } finally {
      await client.close();
    }
  });

  it("SIGINT right as the model is asked (the ack may still be on its way) aborts the run all the same", async () => {
    const { client, events } = await observer();
    try {
      await using cli = keelInteractive(["agent", "-m", "HANG early", "--session-key", "sigint-2"], gw.env);
      // As soon as the model is asked: the CLI may not have seen the ack yet.
      const before = fake.requests.length;
      await eventually(() => fake.requests.slice(before).some((r) => lastUser(r.body) === "HANG early"), {
        timeoutMs: 20_000,
        message: "the vendor to be asked",
      });
      cli.child.kill("SIGINT");
      expect((await cli.exited).code).toBe(130);
      await eventually(
        () => events.some((e) => e.sessionKey === "agent:main:sigint-2" && e.state === "aborted"),
        { timeoutMs: 10_000, message: "the aborted event" },
      );
    } finally {
      await client.close();
    }
  });
});

describe("keel agent --model", () => {
  it("a model the gateway has not configured is refused before sending, naming the configured ones", async () => {
    const before = fake.requests.length;
    const r = await keel(["agent", "-m", "never sent", "--model", "mock/nope"], gw.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "keel: --model mock/nope is not configured on the gateway; configured: mock/mock-model, dead/m\n" +
        "      use one of those, or add it under models.providers.<id>.models in the config\n",
    );
    expect(fake.requests.length).toBe(before);
    const ok = await keel(["agent", "-m", "with a model", "--model", "mock/mock-model"], gw.env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("Reply to: with a model\n");
  });
});

describe("keel agent and keel chat off a terminal", () => {
  it("no spinner: stderr stays empty and stdout holds only the reply", async () => {
    const r = await keel(["agent", "-m", "quiet please"], gw.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("Reply to: quiet please\n");
    await using chat = keelInteractive(["chat", "--session-key", "quiet-chat"], gw.env);
    chat.line("quiet chat");
    chat.child.stdin!.end();
    expect((await chat.exited).code).toBe(0);
    expect(chat.stderr()).toBe("");
    expect(chat.stdout()).toBe("assistant: Reply to: quiet chat\n");
  });

  it("a failed turn shows the same full error kind in agent and in chat (network, not unknown)", async () => {
    const a = await keel(["agent", "-m", "to a dead provider", "--agent", "broken"], gw.env);
    expect(a.code).toBe(1);
    const agentKind = /^keel: the agent run failed \(([a-z_]+)\)/.exec(a.stderr)?.[1];
    expect(agentKind).toBe("network");
    expect(a.stderr).toContain("the provider could not be reached: check its baseUrl");
    await using chat = keelInteractive(["chat", "--agent", "broken", "--session-key", "dead-chat"], gw.env);
    chat.line("to a dead provider");
    chat.child.stdin!.end();
    expect((await chat.exited).code).toBe(1);
    expect(chat.stdout()).toMatch(new RegExp(`^error \\(${agentKind}\\): `, "m"));
  });
});
