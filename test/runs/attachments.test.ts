// chat.send attachments through a real gateway: an image reaches the vendor as an image part of the
// user message (typed by its bytes), is kept in the transcript, and goes out again on the next
// turn; a non-image, bad base64 or an image over a limit is an INVALID_REQUEST naming the field,
// and starts nothing. hello-ok advertises the limits.
import { describe, expect, it } from "vitest";
import { IMAGE_LEFT_OUT } from "../../src/runs/prompt-images.js";
import { gatewayWithFakeVendor } from "../helpers/vendor-gateway.js";
import { type Frame, openClient, TestSocket } from "../helpers/ws.js";

/** A 1×1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
  "base64",
);
/** The first bytes of a JPEG, a GIF and a WebP, which is all the type check reads. */
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 1, 0, 0, 1]);
const GIF = Buffer.from("GIF89a\x01\x00\x01\x00", "latin1");
const WEBP = Buffer.from("RIFF\x1a\x00\x00\x00WEBPVP8L", "latin1");
const WRITE = { scopes: ["operator.read", "operator.write"] };

const isFinal = (runId: string) => (f: Frame) =>
  f.type === "event" && f.event === "chat" && f.payload.runId === runId && f.payload.state === "final";

describe("chat.send attachments", () => {
  it("pass to the vendor as image parts, are stored, and are sent again with the history", async () => {
    await using env = await gatewayWithFakeVendor([
      { type: "reply", text: "A red dot." },
      { type: "reply", text: "Yes." },
    ]);
    await using s = await openClient(env.url, WRITE);
    const ack = await s.request("chat.send", {
      sessionKey: "main",
      message: "What is this?",
      idempotencyKey: "att-1",
      attachments: [
        // A field Keel does not read (some clients send a size) is ignored.
        {
          type: "image",
          mimeType: "image/png",
          fileName: "dot.png",
          size: PNG.length,
          content: PNG.toString("base64"),
        },
        // Declared wrongly, as a data: URL: the bytes decide the type the vendor is told.
        { type: "image", mimeType: "image/png", content: `data:image/png;base64,${JPEG.toString("base64")}` },
        // Line-wrapped base64, as some encoders write it, and no mimeType at all.
        { content: GIF.toString("base64").replace(/(.{4})/g, "$1\n") },
        { content: WEBP.toString("base64") },
      ],
    });
    expect(ack.ok).toBe(true);
    await s.next(isFinal("att-1"));

    const user = env.fake.requests[0]!.body.messages.at(-1);
    expect(user).toEqual({
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } },
        { type: "image_url", image_url: { url: `data:image/jpeg;base64,${JPEG.toString("base64")}` } },
        { type: "image_url", image_url: { url: `data:image/gif;base64,${GIF.toString("base64")}` } },
        { type: "image_url", image_url: { url: `data:image/webp;base64,${WEBP.toString("base64")}` } },
      ],
    });

    const history = await s.request("chat.history", { sessionKey: "main" });
    expect(history.payload.messages[0].content).toEqual([
      { type: "text", text: "What is this?" },
      { type: "image", data: PNG.toString("base64"), mimeType: "image/png" },
      { type: "image", data: JPEG.toString("base64"), mimeType: "image/jpeg" },
      { type: "image", data: GIF.toString("base64"), mimeType: "image/gif" },
      { type: "image", data: WEBP.toString("base64"), mimeType: "image/webp" },
    ]);

    await s.request("chat.send", { sessionKey: "main", message: "Sure?", idempotencyKey: "att-2" });
    await s.next(isFinal("att-2"));
    const replayed = env.fake.requests[1]!.body.messages.find(
      (m: { role: string; content: unknown }) => m.role === "user" && Array.isArray(m.content),
    );
    expect(replayed.content[1].image_url.url).toBe(`data:image/png;base64,${PNG.toString("base64")}`);
  });

  it("refuses what is not a usable image, naming the attachment, and starts nothing", async () => {
    await using env = await gatewayWithFakeVendor([], {
      config: { agents: { defaults: { mediaMaxMb: 1 } } },
    });
    await using s = await openClient(env.url, WRITE);
    const send = (idempotencyKey: string, attachments: unknown[]) =>
      s.request("chat.send", { sessionKey: "main", message: "look", idempotencyKey, attachments });
    const half = Buffer.concat([PNG, Buffer.alloc(600 * 1024)]).toString("base64");
    const cases: [unknown[], RegExp][] = [
      [
        [{ mimeType: "text/plain", content: Buffer.from("hello").toString("base64") }],
        /^attachments\[0\]\.content: is not a PNG, JPEG, GIF or WebP image \(declared text\/plain\)/,
      ],
      [
        [{ content: PNG.toString("base64") }, { content: "not base64!" }],
        /^attachments\[1\]\.content: is not valid base64/,
      ],
      // Bits past the last byte, or base64 that only decodes by skipping what is not base64.
      [[{ content: "QR==" }], /^attachments\[0\]\.content: is not valid base64/],
      [[{ content: `${PNG.toString("base64")}*` }], /^attachments\[0\]\.content: is not valid base64/],
      [[{ content: "data:image/png;base64," }], /^attachments\[0\]\.content: is not valid base64/],
      [[{ content: `${PNG.toString("base64")}=` }], /^attachments\[0\]\.content: is not valid base64/],
      // A long run of padding inside the text is refused at once (a pattern that backtracks over
      // it would hold the event loop for minutes on a frame this size).
      [[{ content: `AAAA${"=".repeat(2_000_000)}A` }], /^attachments\[0\]\.content: is not valid base64/],
      // Two images of 600 KiB each come to more than agents.defaults.mediaMaxMb (1 MiB).
      [
        [{ content: half }, { content: half }],
        /^attachments\[1\]: .*more than 1048576 bytes \(agents\.defaults\.mediaMaxMb/,
      ],
      // The shape is the params schema's: its messages name the field by its path.
      [[{ content: "" }], /at \/attachments\/0\/content: must NOT have fewer than 1 characters/],
      [["dot.png"], /at \/attachments\/0: must be object/],
      [[{ content: PNG.toString("base64"), mimeType: 7 }], /at \/attachments\/0\/mimeType: must be string/],
      [
        Array.from({ length: 17 }, () => ({ content: PNG.toString("base64") })),
        /at \/attachments: must NOT have more than 16 items/,
      ],
    ];
    for (const [i, [attachments, message]] of cases.entries()) {
      const res = await send(`bad-${i}`, attachments);
      expect(res.ok, JSON.stringify(attachments).slice(0, 80)).toBe(false);
      expect(res.error.code).toBe("INVALID_REQUEST");
      expect(res.error.message).toMatch(message);
    }
    expect(env.fake.requests).toHaveLength(0);
    const history = await s.request("chat.history", { sessionKey: "main" });
    expect(history.payload.messages).toEqual([]);
  });

  it("a prompt carries the newest images of its history up to mediaMaxMb; older ones become a note", async () => {
    await using env = await gatewayWithFakeVendor([], {
      config: { agents: { defaults: { mediaMaxMb: 1 } } },
    });
    await using s = await openClient(env.url, WRITE);
    const image = (n: number) => Buffer.concat([PNG, Buffer.alloc(400 * 1024, n)]).toString("base64");
    for (const n of [1, 2, 3]) {
      const runId = `img-${n}`;
      await s.request("chat.send", {
        sessionKey: "main",
        message: `picture ${n}`,
        idempotencyKey: runId,
        attachments: [{ content: image(n) }],
      });
      await s.next(isFinal(runId));
    }
    const users = env.fake.requests[2]!.body.messages.filter((m: { role: string }) => m.role === "user");
    type Part = { type: string; text?: string; image_url?: { url: string } };
    const shown = users.map((m: { content: string | Part[] }) =>
      typeof m.content === "string"
        ? [m.content]
        : m.content.map((p) => (p.type === "text" ? p.text : p.image_url!.url.slice(-12))),
    );
    // Its own image and the one before fit in 1 MiB; the first is a note now (text-only, so the
    // adapter sends it as one string), its text kept.
    expect(shown).toEqual([
      [`picture 1${IMAGE_LEFT_OUT}`],
      ["picture 2", image(2).slice(-12)],
      ["picture 3", image(3).slice(-12)],
    ]);
    // The transcript keeps every image: only the prompt leaves some out.
    const history = await s.request("chat.history", { sessionKey: "main" });
    expect(history.payload.messages[0].content[1]).toEqual({
      type: "image",
      data: image(1),
      mimeType: "image/png",
    });
  });

  it("refuses one image over 6 MiB whatever mediaMaxMb allows", async () => {
    await using env = await gatewayWithFakeVendor([]);
    await using s = await openClient(env.url, WRITE);
    const big = Buffer.concat([PNG, Buffer.alloc(6 * 1024 * 1024)]).toString("base64");
    const res = await s.request("chat.send", {
      sessionKey: "main",
      message: "",
      idempotencyKey: "big-1",
      attachments: [{ content: big }],
    });
    expect(res.error.message).toMatch(
      /^attachments\[0\]\.content: the image is \d+ bytes; the limit is 6291456/,
    );
    expect(env.fake.requests).toHaveLength(0);
  });

  it("hello-ok advertises the limits, following agents.defaults.mediaMaxMb", async () => {
    await using env = await gatewayWithFakeVendor([], {
      config: { agents: { defaults: { mediaMaxMb: 2 } } },
    });
    await using s = await TestSocket.open(env.url);
    const hello = await s.connect(WRITE);
    expect(hello.payload.policy.attachments).toEqual({
      maxBytes: 2 * 1024 * 1024,
      maxImageBytes: 6 * 1024 * 1024,
    });
  });
});
