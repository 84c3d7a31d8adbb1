// agents.list: the agents of the config, the default one first.
import { Type } from "@sinclair/typebox";
import type { Config } from "../config/schema.js";
import { agentIds } from "../sessions/keys.js";
import { defineMethod } from "./registry.js";

/** What agents.list needs; the gateway's services object satisfies it structurally. */
export interface AgentMethodsDeps {
  config: Config;
}

export const AgentsListParams = Type.Object({}, { additionalProperties: false });

export const agentsList = defineMethod({
  name: "agents.list",
  scope: "operator.read",
  params: AgentsListParams,
  handler: (ctx: AgentMethodsDeps) => {
    const { defaultId, entries } = ctx.config.agents;
    const ids = agentIds(ctx.config).sort((a, b) =>
      a === defaultId ? -1 : b === defaultId ? 1 : a.localeCompare(b),
    );
    return {
      defaultId,
      // One gateway owns every agent it lists (no shared or delegated agents), and there is
      // always a default agent, so a client never has to pick one before it can talk.
      ownership: "sole",
      selectionRequired: false,
      mainKey: ctx.config.session.mainKey,
      // Keel has one DM scope today: every direct message of an agent shares its main session.
      scope: "per-sender",
      agents: ids.map((id) => {
        const name = entries[id]?.name;
        return name === undefined ? { id } : { id, name };
      }),
    };
  },
});

/** The agents family, registered as one array. */
export const agentMethods = [agentsList];
