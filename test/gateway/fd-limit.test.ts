// Exhaustion under `ulimit -n 1024`: 1,100 half-sent requests cannot starve /healthz or a real client.
import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { eventually } from "../helpers/eventually.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient } from "../helpers/ws.js";

const FLOOD = 1_100;

describe("fd reserve", () => {
  it("under ulimit -n 1024 a flood of half-sent upgrades leaves /healthz and an authenticated client working", async () => {
    // Caps and the header timeout out of the way: only the fd budget stands between the flood and EMFILE.
    await using gw = await gatewayWithFakeVendor([], {
      mode: "process",
      launch: { ulimitFiles: 1_024 },
      config: {
        gateway: {
          auth: { mode: "token", token: "test-token-123" },
          http: {
            headersTimeoutMs: 120_000,
            requestTimeoutMs: 600_000,
            maxPendingSockets: 100_000,
            maxPendingPerAddress: 100_000,
          },
        },
      },
    });
    const sockets: Socket[] = [];
    let closedByServer = 0;
    let errors = 0;
    try {
      await Promise.all(
        Array.from({ length: FLOOD }, async () => {
          const s = connect(gw.port, "127.0.0.1");
          sockets.push(s);
          s.on("error", () => (errors += 1));
          s.once("close", () => (closedByServer += 1));
          s.resume();
          await new Promise<void>((resolve) =>
            s.once("connect", () => resolve()).once("error", () => resolve()),
          );
          s.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
        }),
      );
      // The gateway sheds the oldest half-sent sockets before it would run out of descriptors.
      await eventually(() => closedByServer > 100, {
        timeoutMs: 10_000,
        message: "the gateway to shed sockets",
      });
      const health = await fetch(`http://127.0.0.1:${gw.port}/healthz`, {
        signal: AbortSignal.timeout(5_000),
      });
      expect(health.status).toBe(200);
      await using client = await openClient(gw.url);
      expect((await client.request("health")).ok).toBe(true);
      await eventually(() => /shedding sockets: \d+ by gateway\.http\.fdReserve/.test(gw.output()), {
        message: "the shed line in the gateway's log",
      });
      // What was measured, for the report: sockets the gateway kept vs. shed.
      console.log(
        `fd flood: ${FLOOD} half-sent, ${closedByServer} shed, ${FLOOD - closedByServer} held, ${errors} errors`,
      );
    } finally {
      for (const s of sockets) s.destroy();
    }
  }, 60_000);
});
