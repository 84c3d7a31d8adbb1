// Request body reading with a hard cap: stops at the cap instead of buffering what a caller sends.
import type { Readable } from "node:stream";
import { GatewayError } from "../protocol/errors.js";

/** The error a body over its cap gets (HTTP 413 through DETAIL_HTTP_STATUS). */
export function bodyTooLarge(maxBytes: number): GatewayError {
  return new GatewayError("INVALID_REQUEST", `request body too large (limit ${maxBytes} bytes)`, {
    details: { code: "BODY_TOO_LARGE", maxBytes },
  });
}

/**
 * Reads a body of at most `maxBytes`. A declared `content-length` over the cap fails before a
 * byte is read; a body that grows past it (chunked, or lying about its length) fails as soon as
 * it crosses, and the stream is not read further — the caller closes the connection.
 */
export async function readBody(
  stream: Readable,
  declared: string | undefined,
  maxBytes: number,
): Promise<Buffer> {
  if (declared !== undefined && Number(declared) > maxBytes) throw bodyTooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > maxBytes) {
      // Without this pause the rest of the body would keep arriving into a stream nobody reads.
      stream.pause();
      throw bodyTooLarge(maxBytes);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}
