// Graceful drain: closing with a drain time refuses new runs, lets active ones finish, and ends
// those still running past it with reason `shutdown` in their transcripts.
import { describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/sessions/sqlite.js";
import { step } from "../fixtures/fake-openai.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient } from "../helpers/ws.js";

/** The transcript of `key` read from the gateway's store on disk (after the gateway closed). */
async function transcript(
  stateDir: string,
  config: Parameters<typeof openSqliteStore>[0]["config"],
  key: string,
) {
  const store = await openSqliteStore({ stateDir, config });
  try {
    const session = await store.get(key);
    if (!session) throw new Error(`no session ${key}`);
    return (await store.readHistory(session.sessionId, { limit: 10 })).messages;
  } finally {
    await store.close();
  }
}

describe("graceful drain", () => {
  it("lets an active run finish within the drain time and refuses new runs meanwhile", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await using gw = await gatewayWithFakeVendor([step.reply("finished in time", { gate })]);
    await using s = await openClient(gw.url, { scopes: ["operator.write"] });
    await s.request("chat.send", { sessionKey: "a", message: "one", idempotencyKey: "d-1" });
    await s.next((f) => f.event === "chat" && f.payload.runId === "d-1" && f.payload.state === "delta");

    const closing = gw.handle.close("shutdown", { drainMs: 60_000 });
    const refused = await s.request("chat.send", { sessionKey: "b", message: "two", idempotencyKey: "d-2" });
    expect(refused.error).toMatchObject({
      code: "UNAVAILABLE",
      retryable: true,
      details: { reason: "gateway-closing" },
    });
    release();
    const final = await s.next(
      (f) => f.event === "chat" && f.payload.runId === "d-1" && f.payload.state === "final",
    );
    expect(final.payload.message.content[0].text).toBe("finished in time");
    await closing;

    const messages = await transcript(gw.stateDir, gw.loaded.config, "agent:main:a");
    expect(messages.at(-1)).toMatchObject({ role: "assistant", content: "finished in time" });
    expect(messages.at(-1)?.meta).toMatchObject({ status: "ok" });
  });

  it("aborts a run still going past the drain time with reason shutdown, keeping its partial text", async () => {
    await using gw = await gatewayWithFakeVendor([{ type: "hang-after-headers", chunks: ["partial"] }]);
    await using s = await openClient(gw.url, { scopes: ["operator.write"] });
    await s.request("chat.send", { sessionKey: "a", message: "one", idempotencyKey: "d-3" });
    await s.next((f) => f.event === "chat" && f.payload.runId === "d-3" && f.payload.state === "delta");

    const aborted = s.next(
      (f) => f.event === "chat" && f.payload.runId === "d-3" && f.payload.state === "aborted",
    );
    await gw.handle.close("shutdown", { drainMs: 200 });
    expect((await aborted).payload.message.content[0].text).toBe("partial");

    const messages = await transcript(gw.stateDir, gw.loaded.config, "agent:main:a");
    expect(messages.at(-1)).toMatchObject({ role: "assistant", content: "partial" });
    expect(messages.at(-1)?.meta).toMatchObject({
      status: "aborted",
      aborted: true,
      abortReason: "shutdown",
    });
  });
});
