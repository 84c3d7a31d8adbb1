// What the terminal UI reads besides chat: sessions.describe, and the lists of features Keel does
// not have (slash commands, questions, plugin approvals, task suggestions), each honestly empty.
import { Type } from "@sinclair/typebox";
import { requireSession } from "../sessions/resolve.js";
import { toListRow } from "../sessions/wire.js";
import { defineMethod } from "./registry.js";
import type { SessionMethodsDeps } from "./sessions.js";

const Key = Type.String({ minLength: 1, maxLength: 512 });
const AgentId = Type.String({ minLength: 1, maxLength: 64 });
const Empty = Type.Object({}, { additionalProperties: false });

/** One session's row, as sessions.list has it (the TUI's header reads it after each turn). */
export const sessionsDescribe = defineMethod({
  name: "sessions.describe",
  scope: "operator.read",
  params: Type.Object({ key: Key, agentId: Type.Optional(AgentId) }, { additionalProperties: false }),
  handler: async (ctx: SessionMethodsDeps, p) => {
    const { entry } = await requireSession(ctx.store, ctx.config, p.key, p.agentId);
    const active = (ctx.runs?.activeRunIds(entry.key).length ?? 0) > 0;
    return { session: { ...toListRow(entry, active), agentId: entry.agentId, archived: false } };
  },
});

/**
 * Slash commands the gateway itself runs inside a chat message. Keel runs none (a message is
 * always a turn; `keel chat` handles its own `/reset`, `/quit` locally), so the list is empty.
 */
export const commandsList = defineMethod({
  name: "commands.list",
  scope: "operator.read",
  params: Type.Object(
    {
      agentId: Type.Optional(AgentId),
      scope: Type.Optional(Type.Union([Type.Literal("text"), Type.Literal("native"), Type.Literal("both")])),
      includeArgs: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  handler: () => ({ commands: [] }),
});

/** Questions a run asked the operator: Keel's runs ask none (no tool loop yet). */
export const questionList = defineMethod({
  name: "question.list",
  scope: "operator.read",
  params: Type.Object(
    { sessionKey: Type.Optional(Key), agentId: Type.Optional(AgentId) },
    { additionalProperties: false },
  ),
  handler: () => ({ questions: [] }),
});

/** Pending plugin approvals: Keel has no plugins, so none is ever pending (the reference's bare array). */
export const pluginApprovalList = defineMethod({
  name: "plugin.approval.list",
  scope: "operator.approvals",
  params: Empty,
  handler: () => [],
});

/** Follow-up tasks a model suggested: Keel's runs suggest none. */
export const taskSuggestionsList = defineMethod({
  name: "taskSuggestions.list",
  scope: "operator.read",
  params: Type.Object(
    { sessionKey: Type.Optional(Key), agentId: Type.Optional(AgentId) },
    { additionalProperties: false },
  ),
  handler: () => ({ suggestions: [] }),
});

export const tuiMethods = [
  sessionsDescribe,
  commandsList,
  questionList,
  pluginApprovalList,
  taskSuggestionsList,
];
