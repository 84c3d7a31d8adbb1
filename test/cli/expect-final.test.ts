// `keel gateway call agent --expect-final`: the CLI waits past the `accepted` answer for the final one.
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { keel } from "./run.js";

describe("keel gateway call --expect-final", () => {
  it("prints the final agent result; without the flag, the ack", async () => {
    await using gw = await gatewayWithFakeVendor(() => step.reply("Hello from the mock model."));
    const base = ["gateway", "call", "agent", "--url", gw.url, "--token", TEST_TOKEN, "--json"];
    const params = (key: string) =>
      JSON.stringify({ message: "Say hello.", sessionKey: "cli", idempotencyKey: key });
    const final = await keel([...base, "--params", params("cli-final-1"), "--expect-final"]);
    expect(final.stderr).toBe("");
    expect(final.code).toBe(0);
    expect(JSON.parse(final.stdout)).toMatchObject({
      runId: "cli-final-1",
      status: "ok",
      result: { payloads: [{ text: "Hello from the mock model." }] },
    });
    const ack = await keel([...base, "--params", params("cli-final-2")]);
    expect(JSON.parse(ack.stdout)).toMatchObject({ runId: "cli-final-2", status: "accepted" });
  });
});
