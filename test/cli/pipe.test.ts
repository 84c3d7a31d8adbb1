// Output to a closed pipe (`keel health | head -1`) ends the CLI quietly with exit 0, as git and ls do.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, type GatewayProcess, spawnGateway } from "../helpers/process.js";

let gw: GatewayProcess;
beforeAll(async () => {
  gw = await spawnGateway();
}, 30_000);
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]();
});

/**
 * Runs `keel …args` with stdout a pipe whose reading end closes at `when`: "first-line" is what
 * `head -1` does (read one line, exit); "at-once" closes before the CLI writes anything, so its
 * first write is certain to hit the closed pipe.
 */
function closedPipe(args: string[], when: "first-line" | "at-once") {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEEL_")));
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...clean, NO_COLOR: "1", ...gw.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  if (when === "at-once") child.stdout.destroy();
  else {
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) child.stdout.destroy();
    });
  }
  return new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stderr: err, stdout: out })),
  );
}

describe("a closed stdout pipe", () => {
  for (const args of [["health"], ["status"], ["gateway", "call", "status"]]) {
    it(`keel ${args.join(" ")}: exit 0 and nothing on stderr, every time`, async () => {
      // Several runs each way: closing after the first line races the CLI's later writes.
      for (let i = 0; i < 4; i++) {
        for (const when of ["at-once", "first-line"] as const) {
          const r = await closedPipe(args, when);
          expect(r.stderr, `${when} run ${i}`).toBe("");
          expect(r.code, `${when} run ${i}`).toBe(0);
        }
      }
    });
  }
});
