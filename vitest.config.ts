import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores here and in CI: more workers only make spawned gateways compete.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
