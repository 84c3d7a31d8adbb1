// Full-state events (presence) past the total send budget are skipped for the rest, never a reason
// to close; their lists are capped so N clients cost O(N), not O(N²), bytes.
import { describe, expect, it } from "vitest";
import { startGateway } from "../helpers/gateway.js";
import { openClient, type TestSocket } from "../helpers/ws.js";

describe("presence under the total send budget", () => {
  it("a presence list too big to send to everyone is skipped for some clients; nobody is closed", async () => {
    // 60 clients × a presence list of ~60 entries is far past 64 KiB in one broadcast.
    await using gw = await startGateway({ config: { gateway: { maxBufferedBytesTotal: 64 * 1024 } } });
    const clients: TestSocket[] = [];
    try {
      for (let i = 0; i < 60; i++) {
        const displayName = `client-${i}-${"x".repeat(100)}`;
        clients.push(
          await openClient(gw.url, {
            client: { id: "test", version: "1", platform: "linux", mode: "test", displayName },
          }),
        );
      }
      // The coalesced presence event after the last connect: some got it, the rest skipped it.
      await expect
        .poll(
          () =>
            clients.filter((c) =>
              c.frames.some((f) => f.event === "presence" && f.payload.presence.length === 61),
            ).length,
        )
        .toBeGreaterThan(0);
      const last = clients.at(-1)!;
      // Nobody was shed: every socket still answers.
      for (const c of clients) expect((await c.request("health", {})).ok).toBe(true);
      expect(gw.handle.context.connections.count()).toBe(60);
      // A client that missed it sees the gap in seq on its next broadcast and can refetch.
      const presence = (await last.request("system-presence")).payload as unknown[];
      expect(presence.length).toBe(61);
      const skipped = clients.filter(
        (c) => !c.frames.some((f) => f.event === "presence" && f.payload.presence.length === 61),
      );
      expect(skipped.length).toBeGreaterThan(0);
    } finally {
      for (const c of clients) await c[Symbol.asyncDispose]();
    }
  }, 30_000);

  it("presence events and hello-ok's snapshot list at most presenceEventMaxEntries; system-presence lists all", async () => {
    await using gw = await startGateway({ config: { gateway: { presenceEventMaxEntries: 5 } } });
    const clients: TestSocket[] = [];
    try {
      for (let i = 0; i < 12; i++) clients.push(await openClient(gw.url));
      const last = clients.at(-1)!;
      const hello = last.frames.find((f) => f.type === "res" && f.payload?.type === "hello-ok");
      expect(hello.payload.snapshot.presence).toHaveLength(5);
      expect(hello.payload.snapshot.presence[0].mode).toBe("gateway");
      const event = await last.event("presence", 5_000);
      expect(event.payload.presence).toHaveLength(5);
      expect(event.payload.presence[0].mode).toBe("gateway");
      expect(((await last.request("system-presence")).payload as unknown[]).length).toBe(13);
    } finally {
      for (const c of clients) await c[Symbol.asyncDispose]();
    }
  });
});
