// `keel agent -m`: one turn end to end (built CLI → real gateway process → fake OpenAI vendor).
import { spawn, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, step } from "../fixtures/fake-openai.js";
import { CLI } from "../helpers/process.js";
import { gatewayWithFakeVendor, type ProcessVendorGateway } from "../helpers/vendor-gateway.js";
import { keel, lastUser } from "./run.js";

let fake: FakeOpenAI;
let gw: ProcessVendorGateway;

beforeAll(async () => {
  gw = await gatewayWithFakeVendor(
    (req) => {
      const text = lastUser(req.body);
      if (text.includes("FAIL")) {
        return step.status(400, {
          error: {
            message: "unsupported parameter: foo",
            type: "invalid_request_error",
          },
        });
      }
      if (text.includes("STREAM")) {
        return step.reply("one two three four five", {
          chunks: ["one ", "two ", "three ", "four ", "five"],
          delayMs: 60,
        });
      }
      return step.reply(`Reply to: ${text}`);
    },
    { mode: "process" },
  );
  fake = gw.fake;
}, 30_000);
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]();
});

describe("keel agent", () => {
  it("prints the reply and exits 0", async () => {
    const r = await keel(["agent", "-m", "Say hello"], gw.env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Reply to: Say hello\n");
    expect(lastUser(fake.requests.at(-1)?.body)).toBe("Say hello");
  });

  it("--json prints the final payload with status ok and a fresh runId", async () => {
    const a = await keel(["agent", "-m", "first", "--json", "--session-key", "agent-json"], gw.env);
    const b = await keel(["agent", "-m", "second", "--json", "--session-key", "agent-json"], gw.env);
    expect(a.code).toBe(0);
    const fa = JSON.parse(a.stdout);
    const fb = JSON.parse(b.stdout);
    expect(fa).toMatchObject({
      status: "ok",
      result: { payloads: [{ text: "Reply to: first" }] },
    });
    expect(fb).toMatchObject({
      status: "ok",
      result: { payloads: [{ text: "Reply to: second" }] },
    });
    expect(fa.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fb.runId).not.toBe(fa.runId);
    // Same session: the second turn's prompt carries the first turn.
    expect(JSON.stringify(fake.requests.at(-1)?.body.messages)).toContain("Reply to: first");
  });

  it("a provider error exits 1 with one line and a hint, no stack; --json still gives the payload", async () => {
    const r = await keel(["agent", "-m", "please FAIL"], gw.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^keel: the agent run failed \(bad_request\): .*unsupported parameter/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const json = await keel(["agent", "-m", "FAIL again", "--json"], gw.env);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: "error",
      error: { kind: "bad_request" },
    });
  });

  it("usage errors exit 2: no message, a model that is neither provider/model nor an alias", async () => {
    expect((await keel(["agent"], gw.env)).code).toBe(2);
    const bad = await keel(["agent", "-m", "x", "--model", "gpt/"], gw.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^keel: --model must be provider\/model or an alias/);
    // No slash reads as an alias; one the gateway does not know is refused before anything is sent.
    const unknown = await keel(["agent", "-m", "x", "--model", "gpt"], gw.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^keel: --model gpt is not configured on the gateway/);
  });

  // A real terminal (script(1) allocates a pty): the reply streams, yet its text appears exactly once.
  const hasScript = spawnSync("script", ["--version"]).status === 0;
  it.skipIf(!hasScript)(
    "on a TTY shows a spinner until the first token, streams, prints the text once",
    async () => {
      const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} agent -m STREAM`;
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEEL_")));
      // Async: the fake vendor lives in this process and must keep serving while the CLI runs.
      const child = spawn("script", ["-qec", cmd, "/dev/null"], {
        env: { ...env, ...gw.env, NO_COLOR: "1" },
      });
      let out = "";
      // What had arrived when "one" first showed: streamed, the rest of the reply was still coming.
      let firstSeen: string | undefined;
      child.stdout.on("data", (d) => {
        out += d;
        if (firstSeen === undefined && out.includes("one")) firstSeen = out;
      });
      const code = await new Promise((resolve) => child.once("exit", resolve));
      expect(code).toBe(0);
      // The wait spinner (stderr, the same terminal) drew first and was erased before the first text.
      expect(out).toMatch(/^\r?\u001b\[K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] waiting for the model…/);
      expect(out.slice(0, out.indexOf("one"))).toMatch(/\u001b\[K$/);
      const text = out.replace(/\r?\u001b\[K(?:[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] waiting for the model…)?/g, "");
      expect(text.replace(/\r/g, "")).toBe("one two three four five\n");
      expect(firstSeen).not.toContain("five");
    },
  );
});
