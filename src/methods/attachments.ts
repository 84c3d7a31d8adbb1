// chat.send attachments: the images a client sends with its message, each
// `{type?, mimeType?, fileName?, content}` with `content` as base64 or a `data:` URL. The params
// schema checks their shape; here their bytes are checked and they become the user message's
// image parts, which the run stores with the message and every provider adapter sends in its own
// format.
import { Type } from "@sinclair/typebox";
import { MiB } from "../config/schema-kit.js";
import type { ContentPart } from "../models/messages.js";
import { invalidRequest } from "../protocol/errors.js";

/** What one attachment may be, decoded: providers take images up to about this size. */
export const MAX_IMAGE_BYTES = 6 * MiB;
/** Attachments one message may carry. */
export const MAX_ATTACHMENTS = 16;
/** Room a chat.send frame keeps for everything but the attachments' base64 (message, keys, JSON). */
const FRAME_ROOM = 64 * 1024;

/** One attachment as chat.send takes it (the fields the reference's clients send). */
export const AttachmentSchema = Type.Object(
  {
    type: Type.Optional(Type.String()),
    mimeType: Type.Optional(Type.String()),
    fileName: Type.Optional(Type.String()),
    content: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
export const AttachmentsSchema = Type.Array(AttachmentSchema, { maxItems: MAX_ATTACHMENTS });

/** The formats every provider adapter can pass on, by the signature their bytes start with. */
const FORMATS: readonly { mime: string; matches: (b: Buffer) => boolean }[] = [
  {
    mime: "image/png",
    matches: (b) => b.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])),
  },
  { mime: "image/jpeg", matches: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mime: "image/gif", matches: (b) => b.subarray(0, 4).toString("latin1") === "GIF8" },
  {
    mime: "image/webp",
    matches: (b) =>
      b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP",
  },
];
const DATA_URL = /^data:([^;,]*)(?:;[^,]*)?;base64,/i;

/**
 * Decoded bytes all of one message's attachments may come to: `agents.defaults.mediaMaxMb`, but
 * never more than a chat.send frame (`gateway.maxPayload`) can carry as base64.
 */
export function attachmentBudget(mediaMaxMb: number, maxPayload: number): number {
  return Math.min(mediaMaxMb * MiB, Math.floor(((maxPayload - FRAME_ROOM) * 3) / 4));
}

/**
 * The user message's parts for `message` with `attachments`: the text first, then one image
 * part per attachment. Each problem is an INVALID_REQUEST naming the field (`attachments[1].content`).
 * `maxTotalBytes` bounds the decoded bytes of all of them (see attachmentBudget).
 */
export function attachmentParts(
  message: string,
  attachments: readonly { mimeType?: string; content: string }[],
  maxTotalBytes: number,
): ContentPart[] {
  const parts: ContentPart[] = message ? [{ type: "text", text: message }] : [];
  let total = 0;
  attachments.forEach((a, i) => {
    const at = `attachments[${i}]`;
    const { mediaType, data, bytes } = readImage(a, at);
    total += bytes;
    if (total > maxTotalBytes) {
      throw invalidRequest(
        `${at}: the attachments come to more than ${maxTotalBytes} bytes (agents.defaults.mediaMaxMb, or what gateway.maxPayload can carry)`,
      );
    }
    parts.push({ type: "image", source: { kind: "base64", mediaType, data } });
  });
  return parts;
}

function readImage(
  a: { mimeType?: string; content: string },
  at: string,
): { mediaType: string; data: string; bytes: number } {
  const url = DATA_URL.exec(a.content);
  const text = (url ? a.content.slice(url[0].length) : a.content).replace(/\s+/g, "");
  // Node's decoder skips what is not base64: only text that decodes and re-encodes to itself is
  // taken, so a provider never gets an image its stricter decoder would refuse mid-run.
  const bytes = Buffer.from(text, "base64");
  const data = bytes.toString("base64");
  if (bytes.length === 0 || data.replace(/=+$/, "") !== text.replace(/=+$/, "")) {
    throw invalidRequest(`${at}.content: is not valid base64`);
  }
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw invalidRequest(
      `${at}.content: the image is ${bytes.length} bytes; the limit is ${MAX_IMAGE_BYTES}`,
    );
  }
  const format = FORMATS.find((f) => f.matches(bytes));
  if (!format) {
    const declared = a.mimeType ?? url?.[1];
    const what = declared ? `a ${declared} file` : "not an image Keel recognises";
    throw invalidRequest(
      `${at}: ${what}; attachments must be PNG, JPEG, GIF or WebP images (${FORMATS.map((f) => f.mime).join(", ")})`,
    );
  }
  // The bytes decide: a provider rejects an image whose declared type does not match them.
  return { mediaType: format.mime, data, bytes: bytes.length };
}
