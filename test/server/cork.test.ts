import { describe, expect, it } from "vitest";
import type { Connections } from "../../src/server/connections.js";
import { startGateway } from "../helpers/gateway.js";
import { openClient } from "../helpers/ws.js";

describe("send path", () => {
  it("frames sent in one tick are corked on the upgrade's socket and leave together on the next", async () => {
    await using gw = await startGateway();
    await using s = await openClient(gw.url);
    // The context exposes a read-only view; the object behind it is the server's Connections.
    const connections = gw.handle.context.connections as unknown as Connections;
    const [conn] = [...connections.all()];
    if (!conn) throw new Error("no connection");
    expect(conn.socket.writableCorked).toBe(0);
    conn.sendEvent("test.one", { n: 1 });
    conn.sendEvent("test.two", { n: 2 });
    // One cork for the burst, not one per frame; released by the nextTick.
    expect(conn.socket.writableCorked).toBe(1);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(conn.socket.writableCorked).toBe(0);
    const two = await s.event("test.two");
    expect(two.payload).toEqual({ n: 2 });
    const names = s.frames.filter((f) => f.type === "event").map((f) => f.event);
    expect(names.indexOf("test.one")).toBeLessThan(names.indexOf("test.two"));
  });
});
