// Replays every recorded client transcript in test/fixtures/wire/clients/ against a Keel gateway and
// checks each answer's shape against the reference's (README.md here lists what does not conform yet).
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { CLIENT_RECORDINGS, methodsOf, readRecording } from "./recording.js";
import { replay, seed } from "./replay.js";
import { tolerated } from "./shape.js";
import { TOLERATED } from "./tolerances.js";

/**
 * Recordings that do not conform yet, and why. They are still replayed: every request must get
 * its answers; only the shape and ok-ness are not held to the reference's. Methods Keel does not
 * serve at all make a recording pending by themselves (see `missing` below).
 */
const PENDING: Record<string, string> = {};

/** Every recording, found by listing: a new .jsonl file is replayed without touching this file. */
const FILES = readdirSync(CLIENT_RECORDINGS)
  .filter((f) => f.endsWith(".jsonl"))
  .sort();

describe("conformance with the recorded OpenClaw clients", () => {
  it("finds the recordings", () => {
    expect(FILES.length).toBeGreaterThanOrEqual(56);
  });

  for (const file of FILES) {
    it(
      file,
      async () => {
        await using env = await gatewayWithFakeVendor(() => step.reply("Hello from the mock model."));
        const sockets = readRecording(file);
        const served = new Set(env.handle.registry.methodNames());
        const missing = methodsOf(sockets).filter((m) => !served.has(m) && m !== "no.such.method");
        await seed(env.url, sockets);
        const calls = await replay(env.url, sockets);
        // Every request got as many answers as the reference gave (agent: the ack, then the final).
        expect(calls.flatMap((c) => c.diffs.filter((d) => d.endsWith("no answer")))).toEqual([]);
        const untolerated = calls.flatMap((c) =>
          c.diffs.filter((d) => {
            const rest = d.slice(d.indexOf(" ") + 1);
            return !tolerated(
              rest,
              (TOLERATED[c.method] ?? []).flatMap((t) => t.paths),
            );
          }),
        );
        if (PENDING[file] !== undefined || missing.length > 0) return;
        expect(untolerated, `${file}: differences from the reference's shapes`).toEqual([]);
      },
      60_000,
    );
  }
});
