// `keel sessions show|delete <key>` for a key that only other agents have: says which, and how to name it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor, type ProcessVendorGateway } from "../helpers/vendor-gateway.js";
import { keel, lastUser } from "./run.js";

let gw: ProcessVendorGateway;
const turn = async (agent: string, key: string) => {
  const r = await keel(["agent", "-m", `hello ${agent}`, "--agent", agent, "--session-key", key], gw.env);
  expect(r.code).toBe(0);
};

beforeAll(async () => {
  gw = await gatewayWithFakeVendor((req) => step.reply(`re: ${lastUser(req.body)}`), {
    mode: "process",
    config: { agents: { entries: { ops: {}, dev: {} } } },
  });
  await turn("ops", "only-ops");
  await turn("ops", "two-owners");
  await turn("dev", "two-owners");
}, 30_000);
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]();
});

describe("a session key that belongs to other agents", () => {
  it("show names the agent that has it and both ways to name it; the suggestion works", async () => {
    const r = await keel(["sessions", "show", "only-ops"], gw.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "keel: no session only-ops for agent main; agent ops has one\n" +
        "      name it: keel sessions show only-ops --agent ops  (or keel sessions show agent:ops:only-ops)\n",
    );
    const flag = await keel(["sessions", "show", "only-ops", "--agent", "ops"], gw.env);
    expect(flag.code).toBe(0);
    expect(flag.stdout).toContain("user: hello ops");
    const scoped = await keel(["sessions", "show", "agent:ops:only-ops"], gw.env);
    expect(scoped.code).toBe(0);
    expect(scoped.stdout).toContain("user: hello ops");
  });

  it("lists every agent that has the key; asking under one agent counts the default among the others", async () => {
    const r = await keel(["sessions", "show", "two-owners"], gw.env);
    expect(r.stderr.split("\n")[0]).toBe(
      "keel: no session two-owners for agent main; agents dev, ops have one",
    );
    // Asked under dev, which lacks only-ops: ops is named, not dev.
    const dev = await keel(["sessions", "show", "only-ops", "--agent", "dev"], gw.env);
    expect(dev.stderr.split("\n")[0]).toBe("keel: no session only-ops for agent dev; agent ops has one");
  });

  it("delete says the same, and --json still gives the refusal; a key nobody has stays a plain not-found", async () => {
    const r = await keel(["sessions", "delete", "only-ops", "--json"], gw.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("keel: no session only-ops for agent main; agent ops has one");
    expect(r.stderr).toContain("keel sessions delete only-ops --agent ops");
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { method: "sessions.delete" } });
    const nobody = await keel(["sessions", "delete", "nobody-has-it"], gw.env);
    expect(nobody.stderr).toBe("keel: no session nobody-has-it\n      `keel sessions` lists the sessions\n");
    const ok = await keel(["sessions", "delete", "only-ops", "--agent", "ops"], gw.env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^deleted agent:ops:only-ops/);
  });
});
