// eventually(): retries until the check holds, returns its value, and fails with a message that says what.
import { describe, expect, it, vi } from "vitest";
import { eventually } from "./eventually.js";

describe("eventually", () => {
  it("retries a false predicate and a throwing assertion, then resolves with the check's value", async () => {
    let n = 0;
    expect(await eventually(() => ++n >= 3 && `after ${n}`, { intervalMs: 1 })).toBe("after 3");
    let m = 0;
    await eventually(
      () => {
        m++;
        expect(m).toBe(4);
      },
      { intervalMs: 1 },
    );
    expect(m).toBe(4);
  });

  it("rejects at the timeout naming what it waited for, with the last assertion as the cause", async () => {
    const err = (await eventually(() => expect(1).toBe(2), {
      timeoutMs: 50,
      message: "one to be two",
    }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^waited 50 ms \(\d+ attempts\) for one to be two: expected 1 to be 2/);
    expect(err.cause).toBeInstanceOf(Error);
    const falsy = (await eventually(() => false, { timeoutMs: 20 }).catch((e: unknown) => e)) as Error;
    expect(falsy.message).toMatch(/for the condition \(the check returned false\)$/);
  });

  it("keeps its own clock while a test fakes the timers", async () => {
    vi.useFakeTimers();
    try {
      let n = 0;
      await eventually(() => ++n > 2, { intervalMs: 1, timeoutMs: 1_000 });
      expect(n).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
