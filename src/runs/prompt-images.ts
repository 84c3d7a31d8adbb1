// The images a prompt takes from its session's history: the newest, up to a byte budget, so a
// session full of images never makes one request (or one turn's memory) bigger than a message's.
import { base64Bytes } from "../models/images.js";
import type { ContentPart } from "../models/messages.js";
import type { ChatMessage } from "../models/types.js";

/** The note an image of the history is replaced by once the prompt's image budget is spent. */
export const IMAGE_LEFT_OUT =
  "\n[an earlier image, left out: the prompt's images are past agents.defaults.mediaMaxMb]";

/**
 * The history with its inline images kept newest first while they fit in `room` decoded bytes
 * (agents.defaults.mediaMaxMb less the run's own images), the older ones replaced by a note. So
 * a session full of images never sends, or holds for its turn, more than one message's worth.
 */
export function keepNewestImages(history: ChatMessage[], room: number): ChatMessage[] {
  let left = room;
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i]!;
    if (typeof m.content === "string" || !m.content.some((p) => p.type === "image")) continue;
    const parts = m.content.map((p): ContentPart => {
      if (p.type !== "image" || p.source.kind !== "base64") return p;
      const bytes = base64Bytes(p.source.data);
      // The first that does not fit ends the kept ones: what is kept is the newest, unbroken.
      if (bytes > left) left = -1;
      if (left < 0) return { type: "text", text: IMAGE_LEFT_OUT };
      left -= bytes;
      return p;
    });
    history[i] = { role: m.role, content: parts };
  }
  return history;
}

/** Decoded bytes of the inline images among `parts`. */
export function imageBytes(parts: readonly ContentPart[]): number {
  let n = 0;
  for (const p of parts)
    if (p.type === "image" && p.source.kind === "base64") n += base64Bytes(p.source.data);
  return n;
}
