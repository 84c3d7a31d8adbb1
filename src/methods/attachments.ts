// chat.send attachments: the images a client sends with its message, each
// `{type?, mimeType?, fileName?, content}` with `content` as base64 or a `data:` URL. They are
// checked here and become the user message's image parts, which the run stores with the message
// and every provider adapter sends in its own format.
import type { ContentPart } from "../models/messages.js";
import { invalidRequest } from "../protocol/errors.js";

/** What one attachment may be, decoded: providers take images up to about this size. */
export const MAX_IMAGE_BYTES = 6 * 1024 * 1024;
/** Attachments one message may carry. */
export const MAX_ATTACHMENTS = 16;
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
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DATA_URL = /^data:([^;,]*)(?:;[^,]*)?;base64,/i;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The user message's parts for `message` with `attachments`: the text first, then one image
 * part per attachment. Each problem is an INVALID_REQUEST naming the field (`attachments[1].content`).
 * `maxTotalBytes` bounds the decoded bytes of all of them (`agents.defaults.mediaMaxMb`).
 */
export function attachmentParts(
  message: string,
  attachments: readonly unknown[],
  maxTotalBytes: number,
): ContentPart[] {
  if (attachments.length > MAX_ATTACHMENTS) {
    throw invalidRequest(`attachments: at most ${MAX_ATTACHMENTS} per message (got ${attachments.length})`);
  }
  const parts: ContentPart[] = message ? [{ type: "text", text: message }] : [];
  let total = 0;
  attachments.forEach((raw, i) => {
    const at = `attachments[${i}]`;
    if (!isObject(raw))
      throw invalidRequest(`${at}: must be an object {type?, mimeType?, fileName?, content}`);
    const { mediaType, data } = readImage(raw, at);
    total += decodedBytes(data);
    if (total > maxTotalBytes) {
      throw invalidRequest(
        `${at}: the attachments come to more than ${maxTotalBytes} bytes (agents.defaults.mediaMaxMb)`,
      );
    }
    parts.push({ type: "image", source: { kind: "base64", mediaType, data } });
  });
  return parts;
}

function readImage(raw: Json, at: string): { mediaType: string; data: string } {
  const content = raw["content"];
  if (typeof content !== "string" || content.length === 0) {
    throw invalidRequest(`${at}.content: must be a non-empty string (base64 or a data: URL)`);
  }
  const url = DATA_URL.exec(content);
  const data = (url ? content.slice(url[0].length) : content).replace(/\s+/g, "");
  if (data.length % 4 === 1 || !BASE64.test(data)) throw invalidRequest(`${at}.content: is not valid base64`);
  const bytes = decodedBytes(data);
  if (bytes > MAX_IMAGE_BYTES) {
    throw invalidRequest(`${at}.content: the image is ${bytes} bytes; the limit is ${MAX_IMAGE_BYTES}`);
  }
  const declared = stringField(raw, "mimeType", at) ?? url?.[1];
  const head = Buffer.from(data.slice(0, 16), "base64");
  const format = FORMATS.find((f) => f.matches(head));
  if (!format) {
    const what = declared ? `a ${declared} file` : "not an image Keel recognises";
    throw invalidRequest(
      `${at}: ${what}; attachments must be PNG, JPEG, GIF or WebP images (${FORMATS.map((f) => f.mime).join(", ")})`,
    );
  }
  // The bytes decide: a provider rejects an image whose declared type does not match them.
  return { mediaType: format.mime, data };
}

function stringField(raw: Json, key: string, at: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalidRequest(`${at}.${key}: must be a string`);
  return v;
}

/** Bytes a base64 text decodes to. */
function decodedBytes(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return Math.floor((data.length * 3) / 4) - padding;
}
