// `keel models` against a running gateway whose config names a provider key in a ${VAR} this
// shell does not set: the listing still works (the key is the gateway's business), only the
// probes are skipped, said on stderr.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { keel } from "./run.js";

describe("keel models with a provider key the CLI's shell lacks", () => {
  it("lists the gateway's models with exit 0 and skips the probes", async () => {
    await using gw = await gatewayWithFakeVendor([], {
      mode: "process",
      provider: "p",
      models: ["m1"],
      apiKey: "sk-literal",
      fake: { models: ["m1"] },
    });
    const provider = (apiKey: string) => ({
      models: { providers: { p: { baseUrl: gw.fake.url, apiKey, models: [{ id: "m1" }] } } },
      agents: { defaults: { model: "p/m1" } },
    });
    // The file on disk now names a variable nobody exported; the running gateway keeps its config.
    writeFileSync(join(gw.stateDir, "keel.json"), JSON.stringify(provider("${KEEL_TEST_UNSET_KEY}")));
    const r = await keel(["models", "--json"], gw.env);
    expect(r.code).toBe(0);
    expect(
      JSON.parse(r.stdout).models.map((m: { provider: string; id: string }) => `${m.provider}/${m.id}`),
    ).toEqual(["p/m1"]);
    expect(r.stderr).toContain("KEEL_TEST_UNSET_KEY");
    expect(r.stderr).toContain("providers are not probed");
  });
});
