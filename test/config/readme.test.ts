import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configTable } from "../../src/config/docs.js";
import { fields } from "../../src/config/walk.js";
import { VERSION } from "../../src/version.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("carries the configuration table generated from the schema (run `npm run docs` if this fails)", () => {
    const start = readme.indexOf("<!-- config-table:start -->");
    const end = readme.indexOf("<!-- config-table:end -->");
    expect(start).toBeGreaterThan(0);
    const inReadme = readme.slice(start + "<!-- config-table:start -->".length, end).trim();
    expect(inReadme).toBe(configTable());
  });

  it("documents every key with a one-line doc and a reload mark", () => {
    for (const f of fields()) {
      expect(f.schema["description"], `${f.path} has no description`).toBeTruthy();
      expect(["hot", "restart"], `${f.path} has no reload mark`).toContain(f.reload);
      expect(readme).toContain(`\`${f.path}\``);
    }
  });

  it("has the two quick-start commands", () => {
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toContain("npm ci && npm test");
  });

  it("npm start runs the bundled gateway", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(pkg.scripts["start"]).toBe(`node ${pkg.bin["keel"]} gateway run`);
  });

  it("the CLI version matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
  });
});
