// `keel sessions` list/show/reset/delete end to end, over sessions made by real turns.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor, type ProcessVendorGateway } from "../helpers/vendor-gateway.js";
import { keel, lastUser } from "./run.js";

let gw: ProcessVendorGateway;

interface Row {
  key: string;
  sessionId: string;
  totalTokens?: number;
}
const list = async (...args: string[]): Promise<Row[]> => {
  const r = await keel(["sessions", "--json", ...args], gw.env);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).sessions;
};
const turn = async (key: string, text: string) => {
  const r = await keel(["agent", "-m", text, "--session-key", key], gw.env);
  expect(r.code).toBe(0);
};

beforeAll(async () => {
  gw = await gatewayWithFakeVendor((req) => step.reply(`re: ${lastUser(req.body)}`), { mode: "process" });
}, 30_000);
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]();
});

describe("keel sessions", () => {
  it("lists a session after a turn: aligned table by default, the list result with --json", async () => {
    const empty = await keel(["sessions"], gw.env);
    expect(empty.stdout).toBe("no sessions\n");
    await turn("s-list", "hello list");
    const human = await keel(["sessions"], gw.env);
    expect(human.code).toBe(0);
    const [header, row] = human.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^KEY\s+UPDATED\s+TOKENS\s+LABEL$/);
    expect(row).toMatch(/^agent:main:s-list\s+(just now|\d+s ago)\s+\d+$/);
    // Columns line up: each header starts where its cells start.
    expect(row!.indexOf(row!.split(/\s{2,}/)[1]!)).toBe(header!.indexOf("UPDATED"));
    const rows = await list();
    expect(rows).toContainEqual(
      expect.objectContaining({
        key: "agent:main:s-list",
        totalTokens: expect.any(Number),
      }),
    );
    expect(await list("--agent", "nobody")).toEqual([]);
  });

  it("show pages the history, newest page first, and says how to get the older page", async () => {
    for (const n of [1, 2, 3]) await turn("s-show", `question ${n}`);
    const first = await keel(["sessions", "show", "s-show", "--limit", "2"], gw.env);
    expect(first.code).toBe(0);
    const lines = first.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^session s-show \(\S+\): messages 5-6 of 6$/);
    expect(lines.slice(1, 3)).toEqual(["user: question 3", "assistant: re: question 3"]);
    const next = /^older: keel sessions show s-show --offset (\d+) --limit 2$/.exec(lines[3] ?? "");
    expect(next?.[1]).toBe("2");
    const second = await keel(["sessions", "show", "s-show", "--limit", "2", "--offset", next![1]!], gw.env);
    expect(second.stdout).toContain("user: question 2\nassistant: re: question 2\nolder:");
    const last = await keel(["sessions", "show", "s-show", "--limit", "2", "--offset", "4"], gw.env);
    expect(last.stdout).toContain("user: question 1\nassistant: re: question 1\n");
    expect(last.stdout).not.toContain("older:");
    const json = JSON.parse(
      (await keel(["sessions", "show", "s-show", "--json", "--limit", "2"], gw.env)).stdout,
    );
    expect(json).toMatchObject({
      hasMore: true,
      nextOffset: 2,
      totalMessages: 6,
    });
    expect(json.messages).toHaveLength(2);
  });

  it("show of an unknown key exits 1 in one line with a hint", async () => {
    const r = await keel(["sessions", "show", "no-such-session"], gw.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("keel: no session no-such-session\n      `keel sessions` lists the sessions\n");
  });

  it("reset keeps the key with a new sessionId and an empty history", async () => {
    await turn("s-reset", "before reset");
    const before = (await list()).find((s) => s.key === "agent:main:s-reset")!;
    const r = await keel(["sessions", "reset", "s-reset"], gw.env);
    expect(r.code).toBe(0);
    const m = /^reset agent:main:s-reset: new session id (\S+)\n$/.exec(r.stdout);
    expect(m?.[1]).toBeDefined();
    expect(m![1]).not.toBe(before.sessionId);
    const after = (await list()).find((s) => s.key === "agent:main:s-reset")!;
    expect(after.sessionId).toBe(m![1]);
    const shown = await keel(["sessions", "show", "s-reset"], gw.env);
    expect(shown.stdout).not.toContain("before reset");
  });

  it("delete removes the session from the list; deleting it again says no session", async () => {
    await turn("s-delete", "soon gone");
    const r = await keel(["sessions", "delete", "s-delete", "--json"], gw.env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      key: "agent:main:s-delete",
      deleted: true,
      archived: [expect.any(String)],
    });
    expect((await list()).map((s) => s.key)).not.toContain("agent:main:s-delete");
    const again = await keel(["sessions", "delete", "s-delete"], gw.env);
    expect(again.code).toBe(1);
    expect(again.stderr.split("\n")[0]).toBe("keel: no session s-delete");
  });

  it("usage errors exit 2; --help works for each subcommand", async () => {
    expect((await keel(["sessions", "show"], gw.env)).code).toBe(2);
    expect((await keel(["sessions", "--limit", "0"], gw.env)).code).toBe(2);
    expect((await keel(["sessions", "bogus"], gw.env)).code).toBe(2);
    for (const sub of ["show", "reset", "delete"]) {
      const h = await keel(["sessions", sub, "--help"]);
      expect(h.code).toBe(0);
      expect(h.stdout).toContain(`Usage: keel sessions ${sub}`);
    }
  });
});
