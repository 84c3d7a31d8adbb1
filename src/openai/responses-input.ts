// A Responses API request (`input` items, `instructions`, flat function tools, `text.format`) as
// the Chat Completions shape the rest of the surface reads: one conversion, one validation path.
import { Type } from "@sinclair/typebox";
import type { ResponseFormat, ToolChoice, ToolDefinition } from "../models/messages.js";
import { compileValidator } from "../protocol/validate.js";
import type { TurnOptions } from "../runs/run.js";
import { reasoningFor } from "../runs/session-run.js";
import { badField } from "./errors.js";
import { compact, EFFORTS, SamplingFields } from "./params.js";

const FunctionTool = Type.Object({
  type: Type.Literal("function"),
  name: Type.String({ minLength: 1, maxLength: 64, pattern: "^[a-zA-Z0-9_-]+$" }),
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  parameters: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
});

const Format = Type.Union([
  Type.Object({ type: Type.Literal("text") }),
  Type.Object({ type: Type.Literal("json_object") }),
  Type.Object({
    type: Type.Literal("json_schema"),
    name: Type.String({ minLength: 1, maxLength: 64 }),
    schema: Type.Record(Type.String(), Type.Unknown()),
    description: Type.Optional(Type.String()),
    strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  }),
]);

/** The Responses body (open, like the Chat Completions one). */
export const ResponsesBody = Type.Object({
  model: Type.String({ minLength: 1 }),
  input: Type.Union([Type.String(), Type.Array(Type.Unknown(), { minItems: 1 })]),
  instructions: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  previous_response_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** false: a request without a session is not kept (a stateless run; its id cannot be continued). */
  store: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  ...SamplingFields,
  max_output_tokens: Type.Optional(
    Type.Union([Type.Integer({ minimum: 1, maximum: 10_000_000 }), Type.Null()]),
  ),
  tools: Type.Optional(Type.Array(FunctionTool, { maxItems: 128 })),
  tool_choice: Type.Optional(
    Type.Union([
      Type.Literal("auto"),
      Type.Literal("none"),
      Type.Literal("required"),
      Type.Object({ type: Type.Literal("function"), name: Type.String({ minLength: 1 }) }),
    ]),
  ),
  text: Type.Optional(Type.Object({ format: Type.Optional(Format) })),
  reasoning: Type.Optional(
    Type.Union([
      Type.Null(),
      Type.Object({
        effort: Type.Optional(Type.Union([Type.Null(), ...EFFORTS.map((e) => Type.Literal(e))])),
      }),
    ]),
  ),
});

export const responsesBody = compileValidator(ResponsesBody);

type Body = import("@sinclair/typebox").Static<typeof ResponsesBody>;
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The `input` as Chat Completions messages, `instructions` first as a system message. Content
 * parts map one to one (`input_text`/`output_text` → text, `input_image` → image_url); a
 * `function_call` joins the assistant message before it, a `function_call_output` is a tool message.
 */
export function inputMessages(body: Body): Json[] {
  const out: Json[] = body.instructions ? [{ role: "system", content: body.instructions }] : [];
  if (typeof body.input === "string") return [...out, { role: "user", content: body.input }];
  body.input.forEach((item, i) => {
    const at = `input[${i}]`;
    if (!isObject(item)) throw badField(at, "must be an object");
    const type = item["type"] ?? "message";
    if (type === "message")
      out.push({ role: item["role"], content: content(item["content"], `${at}.content`) });
    else if (type === "function_call") addCall(out, item, at);
    else if (type === "function_call_output") {
      const output = item["output"];
      out.push({
        role: "tool",
        tool_call_id: item["call_id"],
        content: typeof output === "string" ? output : JSON.stringify(output ?? ""),
      });
    } else
      throw badField(
        `${at}.type`,
        'must be "message", "function_call" or "function_call_output"',
        "unsupported_input_type",
      );
  });
  return out;
}

function addCall(out: Json[], item: Json, at: string): void {
  if (typeof item["call_id"] !== "string" || typeof item["name"] !== "string") {
    throw badField(at, "a function_call needs call_id and name");
  }
  const call = {
    id: item["call_id"],
    type: "function",
    function: { name: item["name"], arguments: item["arguments"] ?? "" },
  };
  const prev = out[out.length - 1];
  if (prev && prev["role"] === "assistant") {
    prev["tool_calls"] = [...((prev["tool_calls"] as unknown[]) ?? []), call];
  } else out.push({ role: "assistant", content: null, tool_calls: [call] });
}

function content(value: unknown, at: string): unknown {
  if (typeof value === "string" || !Array.isArray(value)) return value;
  return value.map((part, j) => {
    if (!isObject(part)) throw badField(`${at}[${j}]`, "must be an object");
    switch (part["type"]) {
      case "input_text":
      case "output_text":
        return { type: "text", text: part["text"] };
      case "refusal":
        return { type: "text", text: part["refusal"] };
      case "input_image":
        return { type: "image_url", image_url: { url: part["image_url"] } };
      default:
        throw badField(
          `${at}[${j}].type`,
          'must be "input_text", "output_text" or "input_image"',
          "unsupported_content_type",
        );
    }
  });
}

/** The run's model options from a Responses body. */
export function responsesTurnOptions(body: Body): TurnOptions {
  const tools: ToolDefinition[] | undefined = body.tools?.map((t) => ({
    name: t.name,
    ...(typeof t.description === "string" ? { description: t.description } : {}),
    parameters: t.parameters ?? { type: "object", properties: {} },
  }));
  const c = body.tool_choice;
  const toolChoice: ToolChoice | undefined =
    c === undefined ? undefined : typeof c === "string" ? c : { name: c.name };
  const f = body.text?.format;
  const responseFormat: ResponseFormat | undefined =
    f === undefined
      ? undefined
      : f.type === "json_schema"
        ? {
            type: "json_schema",
            name: f.name,
            schema: f.schema,
            ...(f.strict === true ? { strict: true } : {}),
            ...(f.description ? { description: f.description } : {}),
          }
        : { type: f.type };
  return compact({
    tools: tools && tools.length > 0 ? tools : undefined,
    toolChoice,
    temperature: body.temperature,
    topP: body.top_p,
    maxTokens: body.max_output_tokens ?? undefined,
    seed: body.seed,
    responseFormat,
    reasoning: reasoningFor(body.reasoning?.effort ?? undefined),
  });
}
