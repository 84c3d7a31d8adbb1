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

  it("opens with the newcomer's path: install, init, run, first chat, in that order", () => {
    const first = readme.slice(readme.indexOf("\n## "));
    expect(first.startsWith("\n## First run\n")).toBe(true);
    const section = first.slice(1, first.indexOf("\n## ", 1));
    const steps = ["npm ci", "keel init", "keel gateway run", "keel agent", "keel chat"].map((s) =>
      section.indexOf(s),
    );
    expect(steps.every((i) => i >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
  });

  it("claims no HTTP API that Keel does not serve", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      description: string;
    };
    for (const text of [pkg.description, readme]) {
      expect(text).not.toMatch(/OpenAI-compatible HTTP API|HTTP APIs|HTTP callers/);
    }
  });
});
