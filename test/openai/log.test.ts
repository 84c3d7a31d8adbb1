// What a /v1 request leaves in the log: a one-off request's finished run is a debug line (API
// traffic must not rotate everything else out of keel.log); its failure warns; a session's run is info.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/lifecycle/logger.js";
import { step } from "../fixtures/fake-openai.js";
import { eventually } from "../helpers/eventually.js";
import { openaiGateway, post } from "./harness.js";

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stdout = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level, stdout }).logger };
}

const ask = { model: "keel", messages: [{ role: "user", content: "x" }] };

describe("/v1 run log lines", () => {
  it("info: a one-off request's finish is not logged, its failure is; a session's finish is", async () => {
    const log = capture("info");
    await using gw = await openaiGateway(
      [
        step.reply("ok"),
        step.status(400, { error: { message: "bad", type: "invalid_request_error" } }),
        step.reply("kept"),
      ],
      { start: { logger: log.logger } },
    );
    expect((await post(gw.base, "/chat/completions", ask)).status).toBe(200);
    expect((await post(gw.base, "/chat/completions", ask)).status).toBe(400);
    const named = await post(gw.base, "/chat/completions", ask, { "x-keel-session-key": "s1" });
    expect(named.status).toBe(200);
    await eventually(() => expect(log.lines.filter((l) => l["msg"] === "run finished")).toHaveLength(1));
    const finished = log.lines.find((l) => l["msg"] === "run finished")!;
    expect(finished).toMatchObject({ level: 30, sessionKey: "agent:main:s1" });
    expect(log.lines.filter((l) => String(l["msg"]).startsWith("run failed"))).toHaveLength(1);
  });

  it("debug: a one-off request's finish is a debug line", async () => {
    const log = capture("debug");
    await using gw = await openaiGateway([step.reply("ok")], { start: { logger: log.logger } });
    expect((await post(gw.base, "/chat/completions", ask)).status).toBe(200);
    await eventually(() =>
      expect(log.lines.find((l) => l["msg"] === "run finished")).toMatchObject({ level: 20 }),
    );
  });
});
