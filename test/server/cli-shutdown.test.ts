// The built CLI's gateway process on SIGTERM: a connected client hears `shutdown`, then 1012; exit 0.
import { describe, expect, it } from "vitest";
import { spawnGateway } from "../helpers/process.js";
import { openClient } from "../helpers/ws.js";

describe("keel gateway run (built CLI) and SIGTERM", () => {
  it("a connected client gets `shutdown`, then close 1012, and the process exits 0", async () => {
    await using gw = await spawnGateway(["--token", "cli-test-token"]);
    // spawnGateway resolved once /startupz said started: connect no longer meets startup-sidecars.
    await using s = await openClient(gw.url, { auth: { token: "cli-test-token" } });
    gw.child.kill("SIGTERM");
    const shutdown = await s.event("shutdown");
    expect(shutdown.payload).toEqual({ reason: "shutdown" });
    expect(await s.closed).toEqual({ code: 1012, reason: "service restart" });
    const order = s.frames.map((f) => f.event ?? f.type);
    expect(order.indexOf("shutdown")).toBe(order.length - 1);
    expect((await gw.exited).code).toBe(0);
  });
});
