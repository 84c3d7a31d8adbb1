// Test helper: raw HTTP/1.1 over a TCP socket, for requests node:http's client will not send as-is.
import { connect } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything received, for asserting what did not happen (no 101, no frames). */
  raw: string;
}

/**
 * Writes `request` (CRLF line ends added) and reads until the server closes the connection, or
 * until the header block is complete when `headOnly` (a 101 never closes on its own).
 */
export function rawRequest(
  port: number,
  lines: string[],
  options: { headOnly?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    const finish = () => {
      socket.destroy();
      const [head = "", ...rest] = data.split("\r\n\r\n");
      const [statusLine = "", ...headerLines] = head.split("\r\n");
      const headers: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(":");
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n"), raw: data });
    };
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      data += d;
      if (options.headOnly && data.includes("\r\n\r\n")) finish();
    });
    socket.on("end", finish);
    socket.on("error", reject);
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
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
