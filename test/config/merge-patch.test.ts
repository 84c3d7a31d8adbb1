// JSON merge patch (RFC 7396): the RFC's own examples, and that inputs are left untouched.
import { describe, expect, it } from "vitest";
import { mergePatch } from "../../src/config/merge-patch.js";

describe("mergePatch", () => {
  // RFC 7396, Appendix A.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [
      ["a", "b"],
      ["c", "d"],
      ["c", "d"],
    ],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)("%j patched with %j is %j", (target, patch, result) => {
    expect(mergePatch(target, patch)).toEqual(result);
  });

  it("modifies neither the target nor the patch", () => {
    const target = { a: { b: 1, c: [1, 2] } };
    const patch = { a: { b: null, c: [3] } };
    const before = JSON.stringify([target, patch]);
    expect(mergePatch(target, patch)).toEqual({ a: { c: [3] } });
    expect(JSON.stringify([target, patch])).toBe(before);
  });
});
