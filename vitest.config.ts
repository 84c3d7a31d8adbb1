import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here and in CI: more workers only make spawned gateways compete.
    maxWorkers: 2,
    // The JSON summary lets .ci/run print one plain "N passed, N failed" line per Node version.
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
