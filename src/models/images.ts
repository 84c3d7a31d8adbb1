// Inline images as every surface takes them (chat.send attachments, /v1 data: URLs): canonical
// base64 of a PNG, JPEG, GIF or WebP, typed by its bytes, at most MAX_IMAGE_BYTES. The formats
// are the ones every provider adapter can pass on.
import { MiB } from "../config/schema-kit.js";

/** The most one image may be, decoded: providers take images up to about this size. */
export const MAX_IMAGE_BYTES = 6 * MiB;

/** The formats, by the signature their bytes start with. */
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
export const IMAGE_FORMATS = "PNG, JPEG, GIF or WebP";

/** A checked image: its type by its bytes, canonical base64, and its decoded size. */
export interface InlineImage {
  mediaType: string;
  data: string;
  bytes: number;
}

/** Why an inline image was refused, worded to follow the field's name (`…content: is not valid base64`). */
export type ImageProblem = { problem: "base64" | "size" | "format"; message: string };

/**
 * Checks base64 text (whitespace allowed) as an image. Node's decoder skips what is not base64,
 * so only text that decodes and re-encodes to itself is taken: a provider's stricter decoder
 * never refuses mid-run an image Keel accepted. `declared` (a mimeType the client sent) only
 * words the refusal: the bytes decide the type, since providers reject a type that does not
 * match them.
 */
export function readInlineImage(base64: string, declared?: string): InlineImage | ImageProblem {
  const text = base64.replace(/\s+/g, "");
  // Linear checks only: this runs on client input up to a whole frame.
  if (!BASE64.test(text)) return { problem: "base64", message: "is not valid base64" };
  const buf = Buffer.from(text, "base64");
  const data = buf.toString("base64");
  if (buf.length === 0 || unpadded(data) !== unpadded(text)) {
    return { problem: "base64", message: "is not valid base64" };
  }
  if (buf.length > MAX_IMAGE_BYTES) {
    return { problem: "size", message: `the image is ${buf.length} bytes; the limit is ${MAX_IMAGE_BYTES}` };
  }
  const format = FORMATS.find((f) => f.matches(buf));
  if (!format) {
    const said = declared ? ` (declared ${declared})` : "";
    return { problem: "format", message: `is not a ${IMAGE_FORMATS} image${said}` };
  }
  return { mediaType: format.mime, data, bytes: buf.length };
}

/** Base64's alphabet with at most two `=` of padding at the end (anchored: no backtracking). */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const unpadded = (s: string) => (s.endsWith("==") ? s.slice(0, -2) : s.endsWith("=") ? s.slice(0, -1) : s);

/** The base64 of a `data:<type>;base64,` URL and its declared type, or undefined for any other text. */
export function dataUrl(url: string): { declared: string; base64: string } | undefined {
  const m = /^data:([^;,]*)(?:;[^,]*)?;base64,/i.exec(url);
  return m ? { declared: m[1]!.toLowerCase(), base64: url.slice(m[0].length) } : undefined;
}

/** Decoded bytes of canonical base64 (what an image part of a stored message weighs). */
export function base64Bytes(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return Math.floor((data.length * 3) / 4) - padding;
}
