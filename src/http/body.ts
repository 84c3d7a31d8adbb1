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
 * it crosses, and the stream is paused, not destroyed: the socket must stay up for the 413,
 * which closes the connection itself (errorReply sets `connection: close`).
 */
export function readBody(stream: Readable, declared: string | undefined, maxBytes: number): Promise<Buffer> {
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(bodyTooLarge(maxBytes));
  const whole = bufferedWhole(stream, maxBytes);
  if (whole !== undefined) return Promise.resolve(whole);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      stream.off("close", onClose);
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > maxBytes) {
        stop();
        stream.pause();
        reject(bodyTooLarge(maxBytes));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    // 'close' without 'end': the caller went away mid-body (not a handler bug, so no 500 log).
    const onClose = () => {
      stop();
      reject(
        new GatewayError("INVALID_REQUEST", "request body aborted", { details: { code: "BODY_ABORTED" } }),
      );
    };
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", onError);
    stream.once("close", onClose);
  });
}

/**
 * The body when it already arrived whole (a small request comes in one packet with its
 * headers, and Node has parsed all of it before the handler runs): read from the stream's
 * buffer at once instead of waiting a tick for 'data' and 'end'. Undefined when more may come.
 */
function bufferedWhole(stream: Readable, maxBytes: number): Buffer | undefined {
  const complete = (stream as Readable & { complete?: boolean }).complete === true;
  if (!complete || stream.readableFlowing === true || stream.readableLength > maxBytes) return undefined;
  const chunks: Buffer[] = [];
  for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) {
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}
