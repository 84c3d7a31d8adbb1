// POST /v1/responses: a Responses API request as a run, answered as a response object or as the
// typed SSE events; `previous_response_id` continues the conversation the response belongs to.
import { randomUUID } from "node:crypto";
import { jsonReply } from "../http/errors.js";
import type { Reply, RequestContext } from "../http/types.js";
import type { GatewayError } from "../protocol/errors.js";
import type { RunEvent } from "../runs/events.js";
import { requireSession } from "../sessions/resolve.js";
import { badField, openaiErrorBody } from "./errors.js";
import { readConversation } from "./messages.js";
import { chooseModel } from "./models.js";
import { checkBody } from "./params.js";
import { inputMessages, responsesBody, responsesTurnOptions } from "./responses-input.js";
import { type SessionChoice, sessionHeader, sessionKeyOf } from "./session.js";
import {
  collect,
  type OpenAIDeps,
  type Projector,
  startOwnedRun,
  streamReply,
  type TurnResult,
} from "./turn.js";

/**
 * A response id names its conversation: `resp_<conversation><run>` (32 hex digits each) for a
 * conversation the Responses API started, so `previous_response_id` finds it with no lookup
 * table; `resp_<run>` for a run in a session the caller named (header or `user`), and for a
 * `store: false` request, which kept nothing to continue.
 */
const ID = /^resp_([0-9a-f]{32})([0-9a-f]{32})$/;
const hex = () => randomUUID().replaceAll("-", "");
const conversationKey = (token: string) => `openai-response:${token}`;

interface Where {
  session: SessionChoice;
  /** The conversation token, when the id carries one. */
  token?: string;
}

/** A session header or `user` wins; else the previous response's conversation; else a new one. */
async function where(
  deps: OpenAIDeps,
  ctx: RequestContext,
  body: { user?: string | undefined; previous_response_id?: string | null | undefined },
  agentId: string,
): Promise<Where> {
  let token: string | undefined;
  const named = sessionKeyOf(ctx.headers, body.user, () => conversationKey((token = hex())));
  if (named.resent) return { session: named };
  const previous = body.previous_response_id;
  if (!previous) return { session: named, ...(token ? { token } : {}) };
  const m = ID.exec(previous);
  const missing = () =>
    badField(
      "previous_response_id",
      `no response ${previous} to continue (ids of runs in a named session, or sent with store: false, cannot be continued)`,
      "previous_response_not_found",
    );
  if (!m) throw missing();
  try {
    await requireSession(deps.store, deps.config, conversationKey(m[1]!), agentId);
  } catch {
    throw missing();
  }
  return { session: { key: conversationKey(m[1]!), resent: false }, token: m[1]! };
}

/** Handles one request (auth and the endpoint switch are checked by the caller). */
export async function createResponse(deps: OpenAIDeps, ctx: RequestContext): Promise<Reply> {
  const body = await ctx.json();
  checkBody(responsesBody, body);
  const config = deps.config;
  const choice = chooseModel(config, deps.models, body.model);
  const conversation = readConversation(inputMessages(body), config.gateway.http.images);
  const options = responsesTurnOptions(body);
  const { session, token } = await where(deps, ctx, body, choice.agentId);
  // `store: false` on a conversation of its own: nothing is kept, so its id names no conversation.
  const oneOff = body.store === false && token !== undefined && !body.previous_response_id;
  const run = hex();
  const id = `resp_${oneOff ? "" : (token ?? "")}${run}`;
  const owned = await startOwnedRun(deps, ctx, {
    runId: randomUUID(),
    ...choice,
    conversation,
    options,
    session,
    oneOff,
  });
  const shell = new ResponseShell(
    id,
    body.model,
    body.previous_response_id ?? null,
    body.instructions ?? null,
  );
  const headers = { "x-keel-session-key": sessionHeader(owned.run.sessionKey) };
  if (body.stream !== true) {
    const result = await collect(owned);
    return jsonReply(200, shell.completed(result), headers);
  }
  const reply = await streamReply(owned, new ResponseEvents(shell), config.gateway.http.sseKeepAliveMs);
  return { ...reply, headers: { ...reply.headers, ...headers } };
}

type Item = Record<string, unknown>;

/** The response object in each of its states. */
class ResponseShell {
  readonly createdAt = Math.floor(Date.now() / 1000);
  constructor(
    readonly id: string,
    readonly model: string,
    readonly previous: string | null,
    readonly instructions: string | null,
  ) {}

  messageItem(text: string, status: string): Item {
    return {
      type: "message",
      id: `msg_${this.id.slice(5)}`,
      status,
      role: "assistant",
      content: status === "in_progress" ? [] : [{ type: "output_text", text, annotations: [] }],
    };
  }

  callItem(c: TurnResult["toolCalls"][number], status: string): Item {
    return {
      type: "function_call",
      id: `fc_${c.id}`,
      call_id: c.id,
      name: c.name,
      arguments: status === "in_progress" ? "" : c.arguments,
      status,
    };
  }

  object(status: string, output: Item[], usage: TurnResult["usage"], error: unknown = null) {
    const input = usage?.input ?? 0;
    const out = usage?.output ?? 0;
    return {
      id: this.id,
      object: "response",
      created_at: this.createdAt,
      status,
      model: this.model,
      output,
      previous_response_id: this.previous,
      instructions: this.instructions,
      error,
      incomplete_details: null,
      parallel_tool_calls: true,
      tool_choice: "auto",
      tools: [],
      usage:
        status === "in_progress"
          ? null
          : {
              input_tokens: input,
              input_tokens_details: { cached_tokens: 0 },
              output_tokens: out,
              output_tokens_details: { reasoning_tokens: 0 },
              total_tokens: input + out,
            },
    };
  }

  completed(r: TurnResult) {
    const output = [
      ...(r.text || r.toolCalls.length === 0 ? [this.messageItem(r.text, "completed")] : []),
      ...r.toolCalls.map((c) => this.callItem(c, "completed")),
    ];
    return {
      ...this.object(r.stopReason === "length" ? "incomplete" : "completed", output, r.usage),
      output_text: r.text,
    };
  }
}

/**
 * The Responses stream: `response.created` and `.in_progress`, a message item whose text part
 * streams as `output_text.delta`, a function_call item per tool call, then `.completed` — or
 * `.failed` with the error when the run fails after the stream started.
 */
class ResponseEvents implements Projector {
  #seq = 0;
  #text = "";
  #messageOpen = false;
  #output: Item[] = [];
  #calls: TurnResult["toolCalls"] = [];
  #usage: TurnResult["usage"];

  constructor(private readonly shell: ResponseShell) {}

  #event(type: string, fields: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.#seq++, ...fields })}\n\n`;
  }

  open(): string {
    const response = this.shell.object("in_progress", [], undefined);
    return this.#event("response.created", { response }) + this.#event("response.in_progress", { response });
  }

  #openMessage(): string {
    if (this.#messageOpen) return "";
    this.#messageOpen = true;
    const item = this.shell.messageItem("", "in_progress");
    return (
      this.#event("response.output_item.added", { output_index: this.#output.length, item }) +
      this.#event("response.content_part.added", {
        item_id: item["id"],
        output_index: this.#output.length,
        content_index: 0,
        part: { type: "output_text", text: "", annotations: [] },
      })
    );
  }

  #closeMessage(): string {
    if (!this.#messageOpen) return "";
    this.#messageOpen = false;
    const item = this.shell.messageItem(this.#text, "completed");
    const at = { item_id: item["id"], output_index: this.#output.length, content_index: 0 };
    const part = { type: "output_text", text: this.#text, annotations: [] };
    const out =
      this.#event("response.output_text.done", { ...at, text: this.#text }) +
      this.#event("response.content_part.done", { ...at, part }) +
      this.#event("response.output_item.done", { output_index: this.#output.length, item });
    this.#output.push(item);
    return out;
  }

  event(ev: RunEvent): string {
    switch (ev.type) {
      case "delta": {
        const open = this.#openMessage();
        this.#text += ev.delta;
        const at = {
          item_id: `msg_${this.shell.id.slice(5)}`,
          output_index: this.#output.length,
          content_index: 0,
        };
        return open + this.#event("response.output_text.delta", { ...at, delta: ev.delta });
      }
      case "tool_call":
        return this.#call({ id: ev.id, name: ev.name, arguments: ev.arguments });
      case "usage":
        this.#usage = { input: ev.input, output: ev.output };
        return "";
      case "final": {
        if (this.#output.length === 0 && !this.#messageOpen && this.#calls.length === 0) {
          return this.#openMessage() + this.#closeMessage() + this.#completed(ev.stopReason);
        }
        return this.#closeMessage() + this.#completed(ev.stopReason);
      }
      default:
        return "";
    }
  }

  #call(c: TurnResult["toolCalls"][number]): string {
    const before = this.#closeMessage();
    this.#calls.push(c);
    const index = this.#output.length;
    const item = this.shell.callItem(c, "completed");
    this.#output.push(item);
    return (
      before +
      this.#event("response.output_item.added", {
        output_index: index,
        item: this.shell.callItem(c, "in_progress"),
      }) +
      this.#event("response.function_call_arguments.delta", {
        item_id: item["id"],
        output_index: index,
        delta: c.arguments,
      }) +
      this.#event("response.function_call_arguments.done", {
        item_id: item["id"],
        output_index: index,
        arguments: c.arguments,
      }) +
      this.#event("response.output_item.done", { output_index: index, item })
    );
  }

  #completed(stopReason: string): string {
    const status = stopReason === "length" ? "incomplete" : "completed";
    const response = { ...this.shell.object(status, this.#output, this.#usage), output_text: this.#text };
    return this.#event(status === "incomplete" ? "response.incomplete" : "response.completed", { response });
  }

  fail(err: GatewayError, status: number): string {
    const body = openaiErrorBody(err, status) as { error: { message: string; code: string | null } };
    const error = { code: body.error.code ?? "server_error", message: body.error.message };
    const closing = this.#closeMessage();
    const response = this.shell.object("failed", this.#output, this.#usage, error);
    return closing + this.#event("response.failed", { response });
  }
}
