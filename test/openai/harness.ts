// Test helper: a gateway with the /v1 endpoints on, over a fake vendor, and an official OpenAI client for it.
import OpenAI from "openai";
import type { FakeScript } from "../fixtures/fake-openai.js";
import { TEST_TOKEN } from "../helpers/gateway.js";
import {
  type InProcessOptions,
  gatewayWithFakeVendor,
  type InProcessVendorGateway,
} from "../helpers/vendor-gateway.js";
import { merge } from "../helpers/gateway.js";

export const ALL_ON = {
  gateway: {
    http: {
      endpoints: {
        chatCompletions: { enabled: true },
        responses: { enabled: true },
        embeddings: { enabled: true },
      },
    },
  },
};

export interface OpenAIGateway extends InProcessVendorGateway {
  /** The official client, pointed at the gateway's /v1 with the gateway token; no retries. */
  client: OpenAI;
  /** http://127.0.0.1:PORT/v1 */
  base: string;
}

/** A gateway over the fake vendor with every /v1 endpoint on (`options.config` merged over that). */
export async function openaiGateway(
  script?: FakeScript,
  options: InProcessOptions = {},
): Promise<OpenAIGateway> {
  const gw = await gatewayWithFakeVendor(script, { ...options, config: merge(ALL_ON, options.config ?? {}) });
  const base = `${gw.handle.url}/v1`;
  const client = new OpenAI({ baseURL: base, apiKey: TEST_TOKEN, maxRetries: 0 });
  return Object.assign(gw, { client, base });
}

/** A raw fetch against the gateway's /v1 with the token (for what the SDK will not send). */
export function post(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${base}${path}`, {
    ...(signal ? { signal } : {}),
    method: "POST",
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
