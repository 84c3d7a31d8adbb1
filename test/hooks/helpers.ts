// Test helper for the webhook tests: POST to a gateway's hook routes with real HTTP requests.
import { request } from "node:http";

export const HOOK_TOKEN = "hook-token-456";

export interface HookResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/**
 * POSTs `body` (an object is sent as JSON, a string or Buffer as is) to `http://127.0.0.1:<port><path>`
 * with `headers`; a fresh connection each time, so one request's 413 cannot affect the next.
 */
export function post(
  port: number,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HookResponse> {
  const payload = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** The hooks config most tests start from: enabled, with HOOK_TOKEN. */
export function hooksOn(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { hooks: { enabled: true, token: HOOK_TOKEN, ...extra } };
}

export const bearer = { authorization: `Bearer ${HOOK_TOKEN}` };
