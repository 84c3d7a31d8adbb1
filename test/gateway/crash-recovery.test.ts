// Crash recovery: kill -9 mid-turn, restart on the same state dir; the turn ends as interrupted and a retry runs once.
import { describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import { runKeel } from "../helpers/process.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient } from "../helpers/ws.js";

describe("crash recovery", () => {
  it("after kill -9 mid-turn the next start ends the turn as interrupted; a retry with the same key runs it once", async () => {
    await using gw = await gatewayWithFakeVendor(
      [{ type: "hang-before-headers" }, { type: "reply", text: "recovered reply" }],
      {
        mode: "process",
        config: { gateway: { auth: { mode: "token", token: TEST_TOKEN } } },
      },
    );
    {
      await using s = await openClient(gw.url);
      const ack = await s.request("chat.send", {
        sessionKey: "main",
        message: "hello",
        idempotencyKey: "idem-1",
      });
      expect(ack.payload.status).toBe("started");
      await eventually(() => gw.fake.requests.length === 1, { message: "the vendor to get the turn" });
      gw.child.kill("SIGKILL");
      expect((await gw.exited).signal).toBe("SIGKILL");
    }

    const again = runKeel(["gateway", "run", "--port", "0", "--state-dir", gw.stateDir]);
    try {
      const port = await again.port;
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/startupz`)).status === 200, {
        timeoutMs: 15_000,
        message: "the restarted gateway to start",
      });
      expect(again.output()).toMatch(/ended 1 interrupted run left unfinished/);
      await using s = await openClient(`ws://127.0.0.1:${port}`);

      const [row] = (await s.request("sessions.list", {})).payload.sessions;
      expect(row.lastRunStatus).toBe("interrupted");
      const history = (await s.request("chat.history", { sessionKey: row.key })).payload.messages;
      expect(history.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
      expect(history[1]).toMatchObject({
        stopReason: "error",
        errorMessage: expect.stringMatching(/^interrupted/),
      });
      expect(history[1].__openclaw.runId).toBe("idem-1");

      // The client retries with the same idempotency key: one vendor call, one user message.
      const retry = await s.request("chat.send", {
        sessionKey: "main",
        message: "hello",
        idempotencyKey: "idem-1",
      });
      expect(retry.payload.status).toBe("started");
      const final = await s.next((f) => f.event === "chat" && f.payload.state === "final", 10_000);
      expect(final.payload.message.content[0].text).toBe("recovered reply");
      const twice = await s.request("chat.send", {
        sessionKey: "main",
        message: "hello",
        idempotencyKey: "idem-1",
      });
      expect(twice.payload.status).toBe("ok");
      expect(gw.fake.requests.length).toBe(2);

      const after = (await s.request("chat.history", { sessionKey: row.key })).payload.messages;
      expect(after.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "assistant"]);
      expect(after[2].content[0].text).toBe("recovered reply");
      const [listed] = (await s.request("sessions.list", {})).payload.sessions;
      expect(listed.lastRunStatus).toBe("ok");
    } finally {
      again.child.kill("SIGTERM");
      await again.exited;
    }
  }, 60_000);
});
