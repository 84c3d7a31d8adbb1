// Every run's end is in the gateway's log: a failed turn with its kind, provider, model and
// attempts (what `keel logs` is for when a turn fails), a finished one at info.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { keel } from "./run.js";

/**
 * An endpoint that drops every connection at once (a network failure). Held for the test:
 * a port bound and closed again could be taken meanwhile by another test's server, which
 * would answer HTTP instead.
 */
async function deadEndpoint(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise((r) => server.close(() => r())) };
}

async function deadEndpoints() {
  const both = [await deadEndpoint(), await deadEndpoint()];
  return {
    ports: both.map((e) => e.port),
    [Symbol.asyncDispose]: () => Promise.all(both.map((e) => e.close())).then(() => {}),
  };
}

function logLines(stateDir: string): Record<string, unknown>[] {
  const text = readFileSync(join(stateDir, "logs", "keel.log"), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("run log lines", () => {
  it("a failed turn logs a warning with kind, provider, model and both attempts; a finished one logs info", async () => {
    // Two dead endpoints: a network failure cools its endpoint, which would skip a second
    // model on the same one.
    await using ends = await deadEndpoints();
    const [dead, dead2] = ends.ports;
    await using gw = await gatewayWithFakeVendor(() => step.reply("fine"), {
      mode: "process",
      config: {
        models: {
          providers: {
            dead: { baseUrl: `http://127.0.0.1:${dead}/v1`, models: [{ id: "d1" }] },
            dead2: { baseUrl: `http://127.0.0.1:${dead2}/v1`, models: [{ id: "d2" }] },
          },
        },
        agents: {
          defaults: { model: { primary: "dead/d1", fallbacks: ["dead2/d2"] } },
          entries: { ok: { model: "mock/mock-model" } },
        },
      },
    });
    const failed = await keel(["agent", "-m", "hello"], gw.env);
    expect(failed.code).toBe(1);
    const good = await keel(["agent", "-m", "hello", "--agent", "ok"], gw.env);
    expect(good.code).toBe(0);

    // The log is written by a worker stream; give it until the line appears.
    const lines = await eventually(
      () => {
        const read = logLines(gw.stateDir);
        return read.some((l) => l["msg"] === "run finished") && read;
      },
      { intervalMs: 50, message: "the run finished line in keel.log" },
    );
    const fail = lines.find((l) => String(l["msg"]).startsWith("run failed"));
    expect(fail).toMatchObject({
      level: 40,
      kind: "network",
      provider: "dead2",
      model: "d2",
      status: "error",
    });
    expect((fail?.["attempts"] as { ref: string; kind: string }[]).map((a) => [a.ref, a.kind])).toEqual([
      ["dead/d1", "network"],
      ["dead2/d2", "network"],
    ]);
    const over = lines.find((l) => String(l["msg"]).startsWith("failing over"));
    expect(over).toMatchObject({ level: 40, kind: "network", from: "dead/d1", to: "dead2/d2" });
    expect(over?.["ms"]).toEqual(expect.any(Number));
    const ok = lines.find((l) => l["msg"] === "run finished");
    expect(ok).toMatchObject({
      level: 30,
      agentId: "ok",
      provider: "mock",
      model: "mock-model",
      stopReason: "stop",
    });
    // Where the time went: queue, first model call to first token, total.
    const timings = ok?.["timings"] as { queuedMs: number; firstTokenMs: number; totalMs: number };
    expect(timings.queuedMs).toBeGreaterThanOrEqual(0);
    expect(timings.firstTokenMs).toBeGreaterThanOrEqual(0);
    expect(timings.totalMs).toBeGreaterThanOrEqual(timings.firstTokenMs);
    expect((fail?.["timings"] as { firstTokenMs?: number }).firstTokenMs).toBeUndefined();
  });
});
