// `keel chat` end to end, driven through a pipe: replies in order, history on open, Ctrl-C abort, errors.
import { spawn, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAI, type FakeScript, step } from "../fixtures/fake-openai.js";
import { CLI } from "../helpers/process.js";
import { gatewayWithFakeVendor, type ProcessVendorGateway } from "../helpers/vendor-gateway.js";
import { keel, lastUser, keelInteractive } from "./run.js";

let fake: FakeOpenAI;
let gw: ProcessVendorGateway;

const script: FakeScript = (req) => {
  const text = lastUser(req.body);
  if (text.includes("HANG")) return { type: "hang-after-headers", chunks: ["partial ", "answer"] };
  if (text.includes("FAIL")) {
    return step.status(400, {
      error: {
        message: "unsupported parameter",
        type: "invalid_request_error",
      },
    });
  }
  return step.reply(`echo: ${text}`, { delayMs: 5 });
};

beforeAll(async () => {
  gw = await gatewayWithFakeVendor(script, { mode: "process" });
  fake = gw.fake;
}, 30_000);
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]();
});

describe("keel chat (stdin not a TTY)", () => {
  it("sends each line, prints each reply in order, exits 0 at EOF", async () => {
    await using chat = keelInteractive(["chat", "--session-key", "chat-pipe"], gw.env);
    chat.line("first question");
    chat.line("second question");
    chat.child.stdin!.end();
    const { code } = await chat.exited;
    expect(chat.stderr()).toBe("");
    expect(code).toBe(0);
    expect(chat.stdout()).toBe("assistant: echo: first question\nassistant: echo: second question\n");
    // One turn at a time: the second prompt already holds the first reply.
    expect(JSON.stringify(fake.requests.at(-1)?.body.messages)).toContain("echo: first question");
  });

  it("shows the session's history on open, limited by --history", async () => {
    expect((await keel(["agent", "-m", "remember one", "--session-key", "chat-hist"], gw.env)).code).toBe(0);
    expect((await keel(["agent", "-m", "remember two", "--session-key", "chat-hist"], gw.env)).code).toBe(0);
    await using all = keelInteractive(["chat", "--session-key", "chat-hist"], gw.env);
    all.child.stdin!.end();
    expect((await all.exited).code).toBe(0);
    expect(all.stdout()).toBe(
      "user: remember one\nassistant: echo: remember one\nuser: remember two\nassistant: echo: remember two\n",
    );
    await using last = keelInteractive(["chat", "--session-key", "chat-hist", "--history", "1"], gw.env);
    last.child.stdin!.end();
    expect((await last.exited).code).toBe(0);
    expect(last.stdout()).toBe("assistant: echo: remember two\n");
  });

  it("Ctrl-C during a reply aborts that turn and keeps the chat; Ctrl-C at the prompt quits with 0", async () => {
    await using chat = keelInteractive(["chat", "--session-key", "chat-abort"], gw.env);
    chat.line("HANG please");
    await chat.waitFor(/assistant: partial answer/);
    chat.child.kill("SIGINT");
    await chat.waitFor(/assistant: partial answer \[aborted\]\n/);
    // The gateway kept the partial, marked aborted.
    const shown = await keel(["sessions", "show", "chat-abort", "--json"], gw.env);
    const assistant = JSON.parse(shown.stdout).messages.find((m: { role: string }) => m.role === "assistant");
    expect(assistant).toMatchObject({
      aborted: true,
      content: [{ text: "partial answer" }],
    });
    // Still alive and taking lines.
    const from = chat.stdout().length;
    chat.line("are you there?");
    await chat.waitFor(/assistant: echo: are you there\?\n/, from);
    chat.child.kill("SIGINT");
    const { code } = await chat.exited;
    expect(code).toBe(0);
    expect(chat.stderr()).toBe("");
  });

  it("a failed turn prints errorKind and errorMessage, the chat goes on, and the exit code says 1", async () => {
    await using chat = keelInteractive(["chat", "--session-key", "chat-fail"], gw.env);
    chat.line("please FAIL");
    chat.line("then this");
    chat.child.stdin!.end();
    const { code } = await chat.exited;
    // The full kind (as `keel agent` shows it), not the protocol's closed errorKind (`unknown`).
    expect(chat.stdout()).toMatch(
      /^error \(bad_request\): .*unsupported parameter.*\nassistant: echo: then this\n$/,
    );
    expect(code).toBe(1);
  });

  it("a gateway that goes away ends the chat with exit 1 and one line saying so", async () => {
    const own = await gatewayWithFakeVendor(script, { mode: "process" });
    try {
      expect((await keel(["agent", "-m", "hi", "--session-key", "chat-lost"], own.env)).code).toBe(0);
      await using chat = keelInteractive(["chat", "--session-key", "chat-lost"], own.env);
      // History printed: connected and waiting for a line.
      await chat.waitFor(/assistant: echo: hi\n/);
      await own[Symbol.asyncDispose]();
      const { code } = await chat.exited;
      expect(code).toBe(1);
      expect(chat.stderr()).toMatch(
        /^keel: lost the connection to the gateway: .+\n {6}start `keel chat` again/,
      );
    } finally {
      await own[Symbol.asyncDispose]();
    }
  });

  it("/reset starts a fresh transcript, /history shows it, unknown commands list the commands", async () => {
    expect((await keel(["agent", "-m", "old stuff", "--session-key", "chat-cmd"], gw.env)).code).toBe(0);
    await using chat = keelInteractive(["chat", "--session-key", "chat-cmd"], gw.env);
    for (const l of ["/reset", "/history", "/nope", "/quit", "never sent"]) chat.line(l);
    const { code } = await chat.exited;
    expect(code).toBe(0);
    const lines = chat.stdout().trimEnd().split("\n");
    expect(lines[0]).toBe("user: old stuff");
    expect(lines[2]).toMatch(/^session chat-cmd reset: new session id \S+$/);
    expect(lines[3]).toBe("session chat-cmd: no messages yet");
    expect(lines[4]).toMatch(/^unknown command \/nope; commands: \/history/);
    expect(lines).toHaveLength(5);
    expect(fake.requests.some((r) => lastUser(r.body) === "never sent")).toBe(false);
  });
});

// A real terminal (script(1) allocates a pty): the prompt, and Ctrl-C as a keypress in raw mode.
const hasScript = spawnSync("script", ["--version"]).status === 0;
describe.skipIf(!hasScript)("keel chat on a terminal", () => {
  it("prompts, streams, Ctrl-C stops a reply and returns to the prompt, Ctrl-C at the prompt quits (0)", async () => {
    expect((await keel(["agent", "-m", "earlier", "--session-key", "chat-tty"], gw.env)).code).toBe(0);
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} chat --session-key chat-tty`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEEL_")));
    const child = spawn("script", ["-qec", cmd, "/dev/null"], {
      env: { ...env, ...gw.env, NO_COLOR: "1", TERM: "xterm" },
    });
    let out = "";
    const seen: (() => void)[] = [];
    child.stdout.on("data", (d) => {
      out += d;
      for (const s of seen) s();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    /** Waits until the output after `from` matches (no sleeps: driven by what the CLI prints). */
    const until = (re: RegExp, from = 0) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${re} in ${JSON.stringify(out)}`)), 20_000);
        const check = () => {
          if (!re.test(out.slice(from))) return;
          clearTimeout(timer);
          resolve(out.length);
        };
        seen.push(check);
        check();
      });
    try {
      let at = await until(/session chat-tty: last 2 of 2 messages[^]*assistant: echo: earlier[^]*you> /);
      child.stdin.write("hello\r");
      // The wait spinner drew, then was erased just before the reply began.
      at = await until(/waiting for the model…\r\u001b\[Kassistant: echo: hello\r\n[^]*you> /, at);
      child.stdin.write("HANG\r");
      at = await until(/assistant: partial answer/, at);
      child.stdin.write("\x03");
      await until(/\[aborted\]\r\n[^]*you> /, at);
      child.stdin.write("\x03");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
