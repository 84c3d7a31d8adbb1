// Features Keel does not have answer the reference's "none configured" shapes: empty, never invented.
import { describe, expect, it } from "vitest";
import { startGateway } from "../helpers/gateway.js";
import { openClient } from "../helpers/ws.js";

describe("none-configured answers", () => {
  it("channels, cron, nodes, devices and heartbeats say there is nothing, in the reference's shapes", async () => {
    await using gw = await startGateway();
    await using s = await openClient(gw.url, { scopes: ["operator.read", "operator.pairing"] });
    const channels = (await s.request("channels.status", { probe: false, timeoutMs: 8000 })).payload;
    expect(channels).toEqual({
      ts: expect.any(Number),
      channelOrder: [],
      channelLabels: {},
      channelDetailLabels: {},
      channelSystemImages: {},
      channelMeta: [],
      eventLoop: expect.objectContaining({ degraded: expect.any(Boolean), delayP99Ms: expect.any(Number) }),
      channels: {},
      channelAccounts: {},
      channelDefaultAccountId: {},
      statusIssues: [],
    });
    expect((await s.request("cron.status")).payload).toEqual({
      enabled: false,
      triggersEnabled: false,
      storage: "none",
      storePath: null,
      sqlitePath: null,
      jobs: 0,
      nextWakeAtMs: null,
    });
    const cron = (await s.request("cron.list", { includeDisabled: false, limit: 200, offset: 0 })).payload;
    expect(cron).toEqual({
      jobs: [],
      snapshotRevision: expect.stringMatching(/^sha256:/),
      total: 0,
      offset: 0,
      limit: 200,
      hasMore: false,
      nextOffset: null,
      deliveryPreviews: {},
    });
    expect((await s.request("node.list", {})).payload).toEqual({ ts: expect.any(Number), nodes: [] });
    expect((await s.request("device.pair.list", {})).payload).toEqual({ pending: [], paired: [] });
    const beat = await s.request("last-heartbeat");
    expect(beat).toMatchObject({ ok: true });
    expect(beat.payload).toBeNull();
    // Unknown params stay refused: the schemas are closed.
    const bad = await s.request("cron.list", { bogus: 1 });
    expect(bad.error).toMatchObject({ code: "INVALID_REQUEST" });
  });

  it("device.pair.list needs operator.pairing, as the CLI's devices command asks for it", async () => {
    await using gw = await startGateway();
    await using s = await openClient(gw.url, { scopes: ["operator.read"] });
    const res = await s.request("device.pair.list", {});
    expect(res.error).toMatchObject({ code: "FORBIDDEN", details: { missingScope: "operator.pairing" } });
  });
});
