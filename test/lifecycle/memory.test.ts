import { describe, expect, it } from "vitest";
import { HeapGauge, heapUnderPressure, releaseMemory } from "../../src/lifecycle/memory.js";

describe("process memory policy", () => {
  it("releaseMemory hands a drained burst's heap back", () => {
    let burst: { i: number; s: string }[] = [];
    for (let i = 0; i < 1_500_000; i++) {
      burst.push({ i, s: `item-${i}` });
      if (burst.length >= 300_000) burst = [];
    }
    burst = [];
    const before = process.memoryUsage().heapTotal;
    releaseMemory();
    const after = process.memoryUsage().heapTotal;
    expect(burst).toHaveLength(0);
    expect(before - after).toBeGreaterThan(10 * 2 ** 20);
  });

  it("heapUnderPressure compares used heap with the limit at the given ratio", () => {
    expect(heapUnderPressure(0)).toBe(true);
    expect(heapUnderPressure(1)).toBe(false);
  });
});

describe("HeapGauge", () => {
  it("reads the heap at most once per interval and answers from that reading meanwhile", () => {
    let now = 0;
    let reads = 0;
    let pressure = false;
    const gauge = new HeapGauge(
      20,
      () => now,
      () => (reads++, pressure),
    );
    expect(gauge.underPressure()).toBe(false);
    pressure = true;
    now = 19;
    expect([gauge.underPressure(), reads]).toEqual([false, 1]);
    now = 20;
    expect([gauge.underPressure(), reads]).toEqual([true, 2]);
  });
});
