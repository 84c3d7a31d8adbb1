// POST /v1/chat/completions: a Chat Completions request as a run, answered whole or as SSE chunks.
import { randomUUID } from "node:crypto";
import { jsonReply } from "../http/errors.js";
import type { Reply, RequestContext } from "../http/types.js";
import type { GatewayError } from "../protocol/errors.js";
import type { RunEvent } from "../runs/events.js";
import { errorChunk } from "./errors.js";
import { readConversation } from "./messages.js";
import { chooseModel } from "./models.js";
import { chatBody, chatTurnOptions, checkBody } from "./params.js";
import { sessionHeader, sessionKeyOf } from "./session.js";
import {
  collect,
  type OpenAIDeps,
  type Projector,
  startOwnedRun,
  streamReply,
  type TurnResult,
} from "./turn.js";

/** Keel's stop reasons as Chat Completions finish reasons (anything else reads as a plain stop). */
function finishReason(stopReason: string): string {
  return stopReason === "length" || stopReason === "tool_calls" || stopReason === "content_filter"
    ? stopReason
    : "stop";
}

function usageOf(u: TurnResult["usage"]) {
  const input = u?.input ?? 0;
  const output = u?.output ?? 0;
  return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
}

/** Handles one request (auth and the endpoint switch are checked by the caller). */
export async function chatCompletions(deps: OpenAIDeps, ctx: RequestContext): Promise<Reply> {
  const body = await ctx.json();
  checkBody(chatBody, body);
  const config = deps.config;
  const choice = chooseModel(config, deps.models, body.model);
  const conversation = readConversation(body.messages, config.gateway.http.images);
  const options = chatTurnOptions(body);
  const session = sessionKeyOf(ctx.headers, body.user);
  const runId = randomUUID();
  const owned = await startOwnedRun(deps, ctx, {
    runId,
    ...choice,
    conversation,
    options,
    session,
    oneOff: !session.resent,
  });
  const id = `chatcmpl-${runId}`;
  const created = Math.floor(Date.now() / 1000);
  if (body.stream !== true) {
    const result = await collect(owned);
    return jsonReply(200, completion(id, created, body.model, result), {
      "x-keel-session-key": sessionHeader(owned.run.sessionKey),
    });
  }
  const includeUsage = body.stream_options?.include_usage === true;
  const reply = await streamReply(
    owned,
    new ChatChunks(id, created, body.model, includeUsage),
    config.gateway.http.sseKeepAliveMs,
  );
  return {
    ...reply,
    headers: { ...reply.headers, "x-keel-session-key": sessionHeader(owned.run.sessionKey) },
  };
}

function completion(id: string, created: number, model: string, r: TurnResult) {
  const calls = r.toolCalls.map((c) => ({
    id: c.id,
    type: "function",
    function: { name: c.name, arguments: c.arguments },
  }));
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: r.text === "" && calls.length > 0 ? null : r.text,
          refusal: null,
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        },
        logprobs: null,
        finish_reason: calls.length > 0 ? "tool_calls" : finishReason(r.stopReason),
      },
    ],
    usage: usageOf(r.usage),
  };
}

/**
 * Chat Completions chunks. Every chunk shares one prefix (id, object, created, model), built
 * once; a text delta costs one JSON.stringify of its text.
 */
class ChatChunks implements Projector {
  readonly #head: string;
  #toolIndex = 0;
  #usage: TurnResult["usage"];

  constructor(
    id: string,
    created: number,
    model: string,
    private readonly includeUsage: boolean,
  ) {
    this.#head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":`;
  }

  open(): string {
    return this.#choice('{"role":"assistant","content":""}', "null");
  }

  event(ev: RunEvent): string {
    switch (ev.type) {
      case "delta":
        return this.#choice(`{"content":${JSON.stringify(ev.delta)}}`, "null");
      case "thinking":
        // Where OpenAI-compatible servers stream reasoning; clients that do not know it skip it.
        return this.#choice(`{"reasoning_content":${JSON.stringify(ev.delta)}}`, "null");
      case "tool_call": {
        // Keel gets each call whole from its provider: one delta carries id, name and arguments.
        const call = {
          index: this.#toolIndex++,
          id: ev.id,
          type: "function",
          function: { name: ev.name, arguments: ev.arguments },
        };
        return this.#choice(`{"tool_calls":[${JSON.stringify(call)}]}`, "null");
      }
      case "usage":
        this.#usage = { input: ev.input, output: ev.output };
        return "";
      case "final": {
        const finish = this.#toolIndex > 0 ? "tool_calls" : finishReason(ev.stopReason);
        let out = this.#choice("{}", JSON.stringify(finish));
        if (this.includeUsage) out += `${this.#head}[],"usage":${JSON.stringify(usageOf(this.#usage))}}\n\n`;
        return `${out}data: [DONE]\n\n`;
      }
      default:
        return "";
    }
  }

  fail(err: GatewayError, status: number): string {
    return errorChunk(err, status);
  }

  #choice(delta: string, finish: string): string {
    return `${this.#head}[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]}\n\n`;
  }
}
