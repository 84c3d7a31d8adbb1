// Bad input: an error message quotes at most a short prefix of what the client sent.
import { describe, expect, it } from "vitest";
import { ECHO_MAX_CHARS, GatewayError, MESSAGE_MAX_CHARS } from "../../src/protocol/errors.js";
import { startGateway } from "../helpers/gateway.js";
import { openClient, TestSocket } from "../helpers/ws.js";

const BOUND = 400;

describe("error echo", () => {
  it("a 5 MB unknown key, a 5 MB method name and a 5 MB key in a path come back as short messages", async () => {
    await using gw = await startGateway();
    await using s = await openClient(gw.url);
    const huge = "k".repeat(5 * 1024 * 1024);

    const key = await s.request("sessions.list", { [huge]: 1 });
    expect(key.error.code).toBe("INVALID_REQUEST");
    expect(key.error.message).toMatch(
      /^invalid sessions\.list params: at root: unexpected property 'k{120}… \(5242880 chars\)'$/,
    );

    const method = await s.request(huge, {});
    expect(method.error.code).toBe("INVALID_REQUEST");
    expect(method.error.message.length).toBeLessThan(BOUND);
    expect(method.error.message).toContain("unknown method: kkk");

    const path = await s.request("chat.history", { sessionKey: "main", [huge]: { x: 1 } });
    expect(path.error.message.length).toBeLessThan(BOUND);
    expect(JSON.stringify(path).length).toBeLessThan(BOUND * 2);
  });

  it("before auth, a 60 KB unknown connect key and a 10 KB Origin are quoted as prefixes", async () => {
    await using gw = await startGateway();
    {
      await using s = await TestSocket.open(gw.url);
      const res = await s.connect({ ["x".repeat(60_000)]: true });
      expect(res.error.code).toBe("INVALID_REQUEST");
      expect(res.error.message.length).toBeLessThan(BOUND);
    }
    {
      await using s = await TestSocket.open(gw.url, { origin: `https://${"o".repeat(10_000)}.example` });
      const res = await s.connect();
      expect(res.error.details.code).toBe("ORIGIN_NOT_ALLOWED");
      expect(res.error.message.length).toBeLessThan(BOUND);
      expect(res.error.details.origin.length).toBeLessThanOrEqual(MESSAGE_MAX_CHARS + 40);
    }
  });

  it("toShape bounds any message and string detail a handler builds from input", () => {
    const e = new GatewayError("NOT_FOUND", `no such run: ${"r".repeat(100_000)}`, {
      details: { runId: "r".repeat(100_000), n: 1 },
    });
    const shape = e.toShape();
    expect(shape.message.length).toBeLessThanOrEqual(MESSAGE_MAX_CHARS + 40);
    expect(shape.message.endsWith("… (100013 chars)")).toBe(true);
    expect((shape.details!["runId"] as string).length).toBeLessThanOrEqual(MESSAGE_MAX_CHARS + 40);
    expect(shape.details!["n"]).toBe(1);
    expect(ECHO_MAX_CHARS).toBeLessThan(MESSAGE_MAX_CHARS);
  });
});
