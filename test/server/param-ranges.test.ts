// Bad input: every number in every method's params has a range, and extremes are INVALID_REQUEST naming the field.
import { Kind, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { CORE_METHODS } from "../../src/methods/index.js";
import { ConnectParamsSchema } from "../../src/protocol/frames.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { openClient, TestSocket } from "../helpers/ws.js";

interface NumericField {
  /** Property names from the params root. */
  path: string[];
  schema: TSchema & { minimum?: number; maximum?: number };
}

/** Every Integer/Number reachable through object properties, unions and arrays of `schema`. */
function numericFields(schema: TSchema, path: string[] = []): NumericField[] {
  const s = schema as TSchema & Record<string, unknown>;
  const kind = s[Kind];
  if (kind === "Integer" || kind === "Number") return [{ path, schema: s }];
  if (kind === "Object") {
    const props = (s["properties"] ?? {}) as Record<string, TSchema>;
    return Object.entries(props).flatMap(([k, v]) => numericFields(v, [...path, k]));
  }
  if (kind === "Union") return (s["anyOf"] as TSchema[]).flatMap((v) => numericFields(v, path));
  if (kind === "Array") return numericFields(s["items"] as TSchema, [...path, "0"]);
  return [];
}

const EXTREMES: unknown[] = [0, -1, 2 ** 31, 2 ** 53, 1e300, "NaN"];

function inRange(f: NumericField, v: unknown): boolean {
  if (typeof v !== "number") return false;
  if (f.schema[Kind] === "Integer" && !Number.isInteger(v)) return false;
  return v >= (f.schema.minimum ?? -Infinity) && v <= (f.schema.maximum ?? Infinity);
}

/** A valid base value with `value` set at `path` (the walk only descends into object properties here). */
function withField(schema: TSchema, path: string[], value: unknown): Record<string, unknown> {
  const base = Value.Create(schema) as Record<string, unknown>;
  let at: Record<string, unknown> = base;
  for (const k of path.slice(0, -1)) {
    at[k] ??= {};
    at = at[k] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
  return base;
}

const methodFields = CORE_METHODS.flatMap((m) =>
  numericFields(m.params).map((f) => ({ method: m, field: f })),
);

describe("numeric params", () => {
  it("every numeric field of every method (and of connect) has a finite minimum and maximum", () => {
    const all = [...methodFields.map((x) => ({ where: x.method.name, ...x.field }))];
    all.push(...numericFields(ConnectParamsSchema).map((f) => ({ where: "connect", ...f })));
    expect(all.length).toBeGreaterThan(5);
    const unbounded = all
      .filter((f) => !Number.isFinite(f.schema.minimum) || !Number.isFinite(f.schema.maximum))
      .map((f) => `${f.where} /${f.path.join("/")}`);
    expect(unbounded).toEqual([]);
  });

  it("each numeric field's extremes answer INVALID_REQUEST naming the field over a real socket, never UNAVAILABLE", async () => {
    await using gw = await gatewayWithFakeVendor([]);
    await using s = await openClient(gw.url, { scopes: ["operator.admin"] });
    let refused = 0;
    for (const { method, field } of methodFields) {
      const pointer = `/${field.path.join("/")}`;
      for (const v of EXTREMES) {
        const res = await s.request(method.name, withField(method.params, field.path, v));
        const label = `${method.name} ${pointer}=${JSON.stringify(v)}: ${JSON.stringify(res.error)}`;
        if (inRange(field, v)) {
          // A valid value may still fail for other reasons (an unknown run), but never as an internal error.
          if (!res.ok) expect(res.error.code, label).not.toBe("UNAVAILABLE");
          continue;
        }
        refused += 1;
        expect(res.ok, label).toBe(false);
        expect(res.error.code, label).toBe("INVALID_REQUEST");
        expect(res.error.message, label).toContain(`at ${pointer}: must be`);
      }
    }
    expect(refused).toBeGreaterThan(40);
    // The socket survived all of it.
    expect((await s.request("health", {})).ok).toBe(true);
  });

  it("connect with out-of-range numbers is INVALID_REQUEST naming the field", async () => {
    await using gw = await gatewayWithFakeVendor([]);
    for (const v of [0, 2 ** 31, 1e300, "NaN"]) {
      await using s = await TestSocket.open(gw.url);
      const res = await s.connect({ minProtocol: v });
      expect(res.error?.code).toBe("INVALID_REQUEST");
      expect(res.error.message).toContain("/minProtocol");
    }
  });
});
