// Test helper: raw HTTP/1.1 over a TCP socket, for requests node:http's client will not send as-is.
import { connect } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything received, for asserting what did not happen (no 101, no frames). */
  raw: string;
}

function parse(data: string): RawResponse & { headEnd: number } {
  const headEnd = data.indexOf("\r\n\r\n");
  const head = headEnd === -1 ? data : data.slice(0, headEnd);
  const [statusLine = "", ...headerLines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of headerLines) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const body = headEnd === -1 ? "" : data.slice(headEnd + 4);
  return { status: Number(statusLine.split(" ")[1]), headers, body, raw: data, headEnd };
}

/**
 * Writes the request head (`lines`, CRLF-joined) and `body`, and resolves with the first
 * response: complete once its content-length is in (or the header block, for HEAD and 101), or
 * when the server closes. Whether the server keeps the connection open does not matter.
 */
export function rawRequest(port: number, lines: string[], body = ""): Promise<RawResponse> {
  const headOnly = (lines[0] ?? "").startsWith("HEAD ");
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      const { headEnd: _, ...res } = parse(data);
      resolve(res);
    };
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      data += d;
      const res = parse(data);
      if (res.headEnd === -1) return;
      const length = Number(res.headers["content-length"] ?? Number.NaN);
      if (headOnly || res.status === 101 || Buffer.byteLength(res.body) >= length) finish();
    });
    socket.on("end", finish);
    socket.on("error", reject);
    socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
  });
}

/** The headers of a WebSocket upgrade request (a valid key and version). */
export function upgradeHeaders(): string[] {
  return [
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
  ];
}
