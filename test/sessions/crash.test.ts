import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite } from "../../src/sessions/driver.js";
import { openSqliteStore, SESSIONS_FILE } from "../../src/sessions/sqlite.js";
import { makeConfig, tempDir } from "./helpers.js";

const CHILD = join(import.meta.dirname, "fixtures/append-child.ts");
const disposers: Array<() => void> = [];
afterEach(() => {
  for (const d of disposers.splice(0)) d();
});

/** Runs the child until it has acknowledged `killAt` messages, then SIGKILLs it. */
async function appendAndKill(
  dir: string,
  killAt: number,
): Promise<{ sessionId: string; acked: number[]; done: boolean }> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, dir, "1000"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let buf = "";
  let err = "";
  let sessionId = "";
  let done = false;
  const acked: number[] = [];
  child.stderr.on("data", (d) => (err += d));
  child.stdout.on("data", (d: Buffer) => {
    buf += d;
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf("\n");
      if (line.startsWith("session ")) sessionId = line.slice(8);
      else if (line.startsWith("ack ")) acked.push(Number(line.slice(4)));
      else if (line === "done") done = true;
      if (acked.length === killAt) child.kill("SIGKILL");
    }
  });
  const exit = await new Promise<NodeJS.Signals | number | null>((r) =>
    child.once("exit", (c, s) => r(s ?? c)),
  );
  if (acked.length < killAt) throw new Error(`child exited early (${exit}):\n${err}`);
  return { sessionId, acked, done };
}

describe("kill -9 while appending", () => {
  for (const killAt of [137, 512, 901]) {
    it(`loses no acknowledged message and opens clean (killed after ${killAt} acks)`, async () => {
      const t = tempDir();
      disposers.push(t.dispose);
      const { sessionId, acked, done } = await appendAndKill(t.dir, killAt);
      expect(done).toBe(false); // the kill landed before the 1,000th message
      expect(acked.slice(0, killAt)).toEqual(Array.from({ length: killAt }, (_, i) => i + 1));

      const raw = openSqlite(join(t.dir, SESSIONS_FILE));
      expect(raw.pragma("integrity_check")).toBe("ok");
      raw.close();

      const store = await openSqliteStore({ stateDir: t.dir, config: makeConfig() });
      try {
        const total = await store.countMessages(sessionId);
        expect(total).toBeGreaterThanOrEqual(acked.length);
        const page = await store.readHistory(sessionId, { limit: total });
        expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        for (const seq of acked)
          expect(page.messages[seq - 1]?.content.startsWith(`message ${seq} `)).toBe(true);
        // Still writable, continuing the sequence.
        const next = await store.appendMessage({
          sessionKey: "agent:main:main",
          sessionId,
          role: "user",
          content: "after the crash",
        });
        expect(next.seq).toBe(total + 1);
      } finally {
        await store.close();
      }
    });
  }
});
