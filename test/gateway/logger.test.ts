import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/lifecycle/logger.js";
import { tempDir } from "../helpers/process.js";

describe("logger", () => {
  it("masks secret values wherever they appear, and secret keys by name", async () => {
    using dir = tempDir();
    let console = "";
    const stdout = new Writable({
      write(chunk, _enc, cb) {
        console += chunk;
        cb();
      },
    });
    const { logger, close } = createLogger({
      level: "info",
      dir: dir.path,
      secrets: ["sk-live-abcdef"],
      stdout,
    });
    logger.info({ url: "http://x/?key=sk-live-abcdef" }, "calling with sk-live-abcdef");
    logger.info({ apiKey: "another-key-zzz", nested: { token: "tttttttt" } }, "keys by name");
    logger.info(
      {
        deep: { a: { b: { password: 'pw "quoted" \\ ppp' } } },
        headers: { authorization: "Bearer hhhhhhhh" },
        numeric: { token: 12345678 },
        listed: { apiKey: ["k1-secret-list"] },
        boxed: { token: { value: "boxed-secret", more: [1, { x: "}" }] }, after: "kept" },
        tokens: 42,
        tokenCount: 7,
      },
      "at any depth",
    );
    await close();
    const file = readFileSync(join(dir.path, "keel.log"), "utf8");
    for (const text of [console, file]) {
      expect(text).not.toContain("sk-live-abcdef");
      expect(text).not.toContain("another-key-zzz");
      expect(text).not.toContain("tttttttt");
      expect(text).not.toContain("ppp");
      expect(text).not.toContain("hhhhhhhh");
      expect(text).not.toContain("12345678");
      expect(text).not.toContain("k1-secret-list");
      expect(text).not.toContain("boxed-secret");
      expect(text).toContain("[redacted]");
      expect(text).toContain("keys by name");
    }
    // Every line is still JSON, and keys that only start like a secret's keep their values.
    const lines = file
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, any>);
    const deep = lines.find((l) => l["msg"] === "at any depth")!;
    expect(deep["deep"].a.b.password).toBe("[redacted]");
    expect([deep["tokens"], deep["tokenCount"]]).toEqual([42, 7]);
    expect(deep["boxed"]).toEqual({ token: "[redacted]", after: "kept" });
  });
});
