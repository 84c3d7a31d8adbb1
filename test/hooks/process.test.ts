// The seed's own failure, end to end: `keel gateway run` with a bad hooks section starts (no
// exit 78), serves chat, answers 503 on the hooks path, and `keel status` says why.
import { describe, expect, it } from "vitest";
import { keel } from "../cli/run.js";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { post } from "./helpers.js";

describe("a gateway process with a bad hooks section", () => {
  it("runs on: chat works, hooks 503 with the reason, keel status shows hooks disabled", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("from the process"), {
      mode: "process",
      config: { hooks: { enabled: true, path: "/in" } },
    });
    const res = await post(gw.port, "/in/agent", { message: "x" }, { authorization: "Bearer whatever" });
    expect(res.status).toBe(503);
    expect(res.body.error).toContain("hooks.token");

    const turn = await keel(["agent", "-m", "hi"], gw.env);
    expect(turn.stdout).toContain("from the process");
    expect(turn.code).toBe(0);
    const status = await keel(["status"], gw.env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /hooks\s+disabled \(hooks\.token: must be set when hooks\.enabled is true\)/,
    );
    expect(gw.output()).toContain("hooks disabled");
  });
});
