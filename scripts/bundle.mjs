// Bundles the CLI and gateway into dist/keel.mjs, the `keel` bin: one file loads several times
// faster than hundreds of ESM modules (cold start is a measured target). The native
// better-sqlite3 and the TTY-only pino-pretty stay external and load from node_modules.
import { chmodSync } from "node:fs";
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/keel.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  external: ["better-sqlite3", "pino-pretty"],
  // Bundled CommonJS dependencies call require(); give ESM output one.
  banner: {
    js: "import { createRequire as __keelRequire } from 'node:module'; const require = __keelRequire(import.meta.url);",
  },
  logLevel: "warning",
});
chmodSync("dist/keel.mjs", 0o755);
