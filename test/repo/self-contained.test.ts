// Tests and benchmarks read nothing outside the repository: a fresh clone must pass on its own.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
/** Where the scanned code lives. */
const SCANNED = ["test", "bench", "scripts", "vitest.config.ts"];
/** Absolute paths a test may name: scratch space and devices every machine has. */
const ALLOWED_ABSOLUTE = ["/tmp", "/dev", "/proc"];

/** Every quoted string literal of a source file (no template literals with substitutions). */
function literals(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(["'`])((?:\\.|(?!\1)[^\\\n$])*)\1/g)) out.push(m[2]!);
  return out;
}

/**
 * Why a literal in `file` names a path outside the repository, or undefined if it does not: a
 * relative path whose `..` segments climb above the root, or an absolute path that exists on this
 * machine outside the repo (a fresh machine would not have it).
 */
export function outside(file: string, literal: string): string | undefined {
  if (/^\.\.?\//.test(literal) && literal.split(/[\\/]/).includes("..")) {
    const target = resolve(dirname(file), literal);
    const rel = relative(ROOT, target);
    if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return `${literal} → ${target}`;
    return undefined;
  }
  if (/^\/[A-Za-z0-9._-]+\//.test(literal) && !literal.includes(" ")) {
    if (literal.startsWith(`${ROOT}/`)) return `${literal} (this checkout's absolute path)`;
    if (ALLOWED_ABSOLUTE.some((a) => literal === a || literal.startsWith(`${a}/`))) return undefined;
    if (existsSync(literal)) return `${literal} (exists here, outside the repo)`;
  }
  return undefined;
}

function sources(path: string): string[] {
  const abs = join(ROOT, path);
  if (!existsSync(abs)) return [];
  if (/\.(ts|mjs|js)$/.test(path)) return [abs];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.(ts|mjs|js)$/.test(d.name) && !d.parentPath.includes("node_modules"))
    .map((d) => join(d.parentPath, d.name));
}

describe("the repository is self-contained", () => {
  it("no test, benchmark or script names a path outside the repository", () => {
    const found: string[] = [];
    // This file's own examples (below) name such paths on purpose.
    const files = SCANNED.flatMap(sources).filter((f) => f !== import.meta.filename);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      for (const lit of literals(readFileSync(file, "utf8"))) {
        const why = outside(file, lit);
        if (why) found.push(`${relative(ROOT, file)}: ${why}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("the check catches a climb out of the repo and an absolute path of this machine", () => {
    const test = join(ROOT, "test/server/handshake.test.ts");
    expect(outside(test, "../../../beside-the-clone/spec/wire")).toMatch(/beside-the-clone/);
    expect(outside(test, "../fixtures/wire")).toBeUndefined();
    expect(outside(test, "../../dist/keel.mjs")).toBeUndefined();
    expect(outside(test, `${ROOT}/README.md`)).toMatch(/absolute/);
    expect(outside(test, "/usr/bin/env")).toMatch(/outside the repo/);
    expect(outside(test, "/v1/chat/completions")).toBeUndefined();
    expect(outside(test, "/tmp/keel-x/keel.json")).toBeUndefined();
  });
});
