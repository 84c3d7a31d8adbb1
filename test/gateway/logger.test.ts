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
    await close();
    const file = readFileSync(join(dir.path, "keel.log"), "utf8");
    for (const text of [console, file]) {
      expect(text).not.toContain("sk-live-abcdef");
      expect(text).not.toContain("another-key-zzz");
      expect(text).not.toContain("tttttttt");
      expect(text).toContain("[redacted]");
      expect(text).toContain("keys by name");
    }
  });
});
