// chat.send attachments: the images a client sends with its message, each
// `{type?, mimeType?, fileName?, content}` with `content` as base64 or a `data:` URL. The params
// schema checks their shape; here their bytes are checked and they become the user message's
// image parts, which the run stores with the message and every provider adapter sends in its own
// format.
import { Type } from "@sinclair/typebox";
import { MiB } from "../config/schema-kit.js";
import { dataUrl, type InlineImage, readInlineImage } from "../models/images.js";
import type { ContentPart } from "../models/messages.js";
import { invalidRequest } from "../protocol/errors.js";

/** Attachments one message may carry. */
export const MAX_ATTACHMENTS = 16;
/** Room a chat.send frame keeps for everything but the attachments' base64 (message, keys, JSON). */
const FRAME_ROOM = 64 * 1024;

/**
 * One attachment as chat.send takes it: the fields the reference's clients send, typed; other
 * fields are ignored (the reference takes attachments as open objects, and clients add some).
 */
export const AttachmentSchema = Type.Object({
  type: Type.Optional(Type.String()),
  mimeType: Type.Optional(Type.String()),
  fileName: Type.Optional(Type.String()),
  content: Type.String({ minLength: 1 }),
});
export const AttachmentsSchema = Type.Array(AttachmentSchema, { maxItems: MAX_ATTACHMENTS });

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

function readImage(a: { mimeType?: string; content: string }, at: string): InlineImage {
  const url = dataUrl(a.content);
  const image = readInlineImage(url ? url.base64 : a.content, a.mimeType ?? url?.declared);
  if ("problem" in image) {
    throw invalidRequest(`${at}.content: ${image.message}`);
  }
  return image;
}
