// POST /v1/embeddings: passed to the named model's provider where it serves embeddings
// (openai-completions providers), strictly (no failover), as floats or base64 float32.
import { Type } from "@sinclair/typebox";
import { jsonReply } from "../http/errors.js";
import type { Reply, RequestContext } from "../http/types.js";
import { ModelError } from "../models/types.js";
import { compileValidator } from "../protocol/validate.js";
import { failureOfEvent, requestTimedOut, runFailure } from "../http/run-failure.js";
import { badField } from "./errors.js";
import { checkBody } from "./params.js";
import type { OpenAIDeps } from "./turn.js";

const EmbeddingsBody = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 2048 })]),
  encoding_format: Type.Optional(Type.Union([Type.Literal("float"), Type.Literal("base64")])),
  dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
  user: Type.Optional(Type.String()),
});
const embeddingsBody = compileValidator(EmbeddingsBody);

/** A vector as OpenAI's base64 encoding: little-endian float32s (what the SDKs decode by default). */
function base64(vector: readonly number[]): string {
  const f32 = Float32Array.from(vector);
  return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString("base64");
}

/** Handles one request (auth and the endpoint switch are checked by the caller). */
export async function createEmbeddings(deps: OpenAIDeps, ctx: RequestContext): Promise<Reply> {
  const body = await ctx.json();
  checkBody(embeddingsBody, body);
  const input = typeof body.input === "string" ? [body.input] : body.input;
  const models = deps.models;
  const ref = models.canonical(body.model) ?? body.model;
  let resolved;
  try {
    resolved = models.resolve(ref);
  } catch {
    throw badField(
      "model",
      `The model '${body.model}' does not exist (a configured provider/model)`,
      "model_not_found",
    );
  }
  const { provider, model } = resolved;
  if (!provider.embed) {
    throw badField(
      "model",
      `${ref}: its provider does not serve embeddings (openai-completions providers do)`,
      "embeddings_not_supported",
    );
  }
  const maxRequestMs = deps.config.gateway.http.maxRequestMs;
  const expiry = new AbortController();
  // Cleared below: a finished request leaves no pending maxRequestMs timer behind.
  const timer = setTimeout(() => expiry.abort(new Error("gateway.http.maxRequestMs")), maxRequestMs);
  const deadline = expiry.signal;
  let result;
  try {
    result = await provider.embed({
      model: model.id,
      input,
      ...(provider.credentials[0] ? { credential: provider.credentials[0] } : {}),
      signal: AbortSignal.any([ctx.signal, deadline]),
    });
  } catch (err) {
    if (deadline.aborted) throw requestTimedOut(maxRequestMs);
    if (err instanceof ModelError)
      throw runFailure(failureOfEvent({ kind: err.kind, message: err.message, details: err.toDetails() }));
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const b64 = body.encoding_format === "base64";
  const tokens = result.usage?.inputTokens ?? 0;
  return jsonReply(200, {
    object: "list",
    data: result.vectors.map((v, index) => ({ object: "embedding", index, embedding: b64 ? base64(v) : v })),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
