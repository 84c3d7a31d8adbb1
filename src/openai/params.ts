// The request fields /v1/chat/completions and /v1/responses share beyond their messages:
// validated once against compiled schemas, then turned into the run's TurnOptions.
import { type TSchema, Type } from "@sinclair/typebox";
import type { ResponseFormat, ToolChoice, ToolDefinition } from "../models/messages.js";
import { compileValidator, type Validator } from "../protocol/validate.js";
import type { TurnOptions } from "../runs/run.js";
import { reasoningFor } from "../runs/session-run.js";
import { badField, paramOf } from "./errors.js";

/** Reasoning efforts a request may name (`minimal` is read as low, as for chat.send's thinking). */
export const EFFORTS = ["minimal", "low", "medium", "high"] as const;

const Num = (min: number, max: number) => Type.Optional(Type.Number({ minimum: min, maximum: max }));
const PosInt = Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 }));

/** Sampling fields both endpoints take, by their Chat Completions names. */
export const SamplingFields = {
  temperature: Num(0, 2),
  top_p: Num(0, 1),
  seed: Type.Optional(Type.Integer()),
  user: Type.Optional(Type.String()),
  stream: Type.Optional(Type.Boolean()),
};

const FunctionTool = Type.Object({
  type: Type.Literal("function"),
  function: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 64, pattern: "^[a-zA-Z0-9_-]+$" }),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  }),
});

const ToolChoiceSchema = Type.Union([
  Type.Literal("auto"),
  Type.Literal("none"),
  Type.Literal("required"),
  Type.Object({
    type: Type.Literal("function"),
    function: Type.Object({ name: Type.String({ minLength: 1 }) }),
  }),
]);

const ResponseFormatSchema = Type.Union([
  Type.Object({ type: Type.Literal("text") }),
  Type.Object({ type: Type.Literal("json_object") }),
  Type.Object({
    type: Type.Literal("json_schema"),
    json_schema: Type.Object({
      name: Type.String({ minLength: 1, maxLength: 64 }),
      description: Type.Optional(Type.String()),
      schema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    }),
  }),
]);

/** The Chat Completions body (open: clients send fields Keel does not use, and those are ignored). */
export const ChatBody = Type.Object({
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(Type.Unknown(), { minItems: 1 }),
  ...SamplingFields,
  stream_options: Type.Optional(
    Type.Union([Type.Null(), Type.Object({ include_usage: Type.Optional(Type.Boolean()) })]),
  ),
  stop: Type.Optional(Type.Union([Type.Null(), Type.String(), Type.Array(Type.String(), { maxItems: 4 })])),
  max_tokens: PosInt,
  max_completion_tokens: PosInt,
  n: Type.Optional(Type.Literal(1)),
  tools: Type.Optional(Type.Array(FunctionTool, { maxItems: 128 })),
  tool_choice: Type.Optional(ToolChoiceSchema),
  response_format: Type.Optional(ResponseFormatSchema),
  reasoning_effort: Type.Optional(Type.Union([Type.Null(), ...EFFORTS.map((e) => Type.Literal(e))])),
});

/** Checks a parsed body against a compiled schema: the first problem is a 400 naming its field. */
export function checkBody<S extends TSchema>(
  validator: Validator<S>,
  body: unknown,
): asserts body is import("@sinclair/typebox").Static<S> {
  const problem = validator.problem(body);
  if (!problem) return;
  const param = paramOf(problem.path) || "body";
  // formatError says "at /x: must be …"; the param already names the place.
  throw badField(param, problem.message.replace(/^at [^:]*: /, ""));
}

/** Compiled once per process, on first use. */
export const chatBody = compileValidator(ChatBody);

type ChatBodyValue = import("@sinclair/typebox").Static<typeof ChatBody>;

/** The run's model options from a Chat Completions body. */
export function chatTurnOptions(body: ChatBodyValue): TurnOptions {
  const stop = typeof body.stop === "string" ? [body.stop] : (body.stop ?? undefined);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const tools: ToolDefinition[] | undefined = body.tools?.map((t) => ({
    name: t.function.name,
    ...(t.function.description !== undefined ? { description: t.function.description } : {}),
    parameters: t.function.parameters ?? { type: "object", properties: {} },
  }));
  const choice = body.tool_choice;
  const toolChoice: ToolChoice | undefined =
    choice === undefined ? undefined : typeof choice === "string" ? choice : { name: choice.function.name };
  if (
    toolChoice !== undefined &&
    typeof toolChoice === "object" &&
    !tools?.some((t) => t.name === toolChoice.name)
  ) {
    throw badField("tool_choice.function.name", `names no tool of this request (${toolChoice.name})`);
  }
  return compact({
    tools: tools && tools.length > 0 ? tools : undefined,
    toolChoice,
    temperature: body.temperature,
    topP: body.top_p,
    stop: stop && stop.length > 0 ? stop : undefined,
    maxTokens,
    seed: body.seed,
    responseFormat: responseFormat(body.response_format),
    reasoning: reasoningFor(body.reasoning_effort ?? undefined),
  });
}

function responseFormat(f: ChatBodyValue["response_format"]): ResponseFormat | undefined {
  if (f === undefined) return undefined;
  if (f.type !== "json_schema") return { type: f.type };
  const s = f.json_schema;
  return {
    type: "json_schema",
    name: s.name,
    schema: s.schema ?? {},
    ...(s.strict === true ? { strict: true } : {}),
    ...(s.description !== undefined ? { description: s.description } : {}),
  };
}

/** The object without its undefined fields (exactOptionalPropertyTypes). */
export function compact<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
