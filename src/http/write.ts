// Writing a Reply: onto a ServerResponse, or onto a raw socket an Upgrade request left us.
import { type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Reply } from "./types.js";

/** Sends a reply on a normal request. HEAD gets the headers only. Streams respect back-pressure. */
export async function writeReply(res: ServerResponse, reply: Reply, head: boolean): Promise<void> {
  const headers = { ...reply.headers };
  const { body } = reply;
  if (typeof body === "string" || Buffer.isBuffer(body)) headers["content-length"] = Buffer.byteLength(body);
  else if (body === undefined) headers["content-length"] = 0;
  res.writeHead(reply.status, headers);
  if (head || body === undefined) {
    res.end();
    return;
  }
  if (typeof body === "string" || Buffer.isBuffer(body)) {
    res.end(body);
    return;
  }
  for await (const chunk of body) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await drained(res);
  }
  res.end();
}

/**
 * Sends a reply as raw HTTP/1.1 on a socket Node handed to the `upgrade` listener (no
 * ServerResponse exists for it). The connection closes after the reply: the request's framing
 * was not parsed by Node, so nothing after it on the socket can be trusted as a new request.
 */
export async function writeRawReply(socket: Duplex, reply: Reply, head: boolean): Promise<void> {
  const { body } = reply;
  const fixed = typeof body === "string" || Buffer.isBuffer(body) ? Buffer.from(body) : undefined;
  const lines = [`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ""}`];
  for (const [k, v] of Object.entries(reply.headers ?? {})) {
    if (k.toLowerCase() !== "connection" && k.toLowerCase() !== "content-length") lines.push(`${k}: ${v}`);
  }
  if (fixed || body === undefined) lines.push(`content-length: ${fixed?.length ?? 0}`);
  lines.push("connection: close", "", "");
  socket.write(lines.join("\r\n"));
  if (!head && fixed) socket.write(fixed);
  if (!head && body !== undefined && !fixed) {
    for await (const chunk of body as AsyncIterable<string | Buffer>) {
      if (socket.destroyed) return;
      if (!socket.write(chunk)) await drained(socket);
    }
  }
  socket.end();
}

function drained(stream: NodeJS.WritableStream & { destroyed: boolean }): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
