// "No session <key>" for `sessions show|delete`, naming the other agents that do have that key.
import type { GatewayClient } from "../client/client.js";
import { CliError, EXIT } from "./errors.js";
import type { HistoryResult } from "./transcript.js";

interface AgentsList {
  defaultId?: string;
  agents?: { id: string }[];
}

/**
 * The agents other than the one asked for (`agentId`, else the default) that have a session under
 * the bare `key`. A scoped key (`agent:ops:x`) or a reserved one names its owner already: none.
 */
export async function otherOwners(
  client: GatewayClient,
  key: string,
  agentId: string | undefined,
): Promise<{ asked: string; owners: string[] }> {
  const list = await client.request<AgentsList>("agents.list", {});
  const asked = agentId ?? list.defaultId ?? "main";
  if (key.includes(":")) return { asked, owners: [] };
  const others = (list.agents ?? []).map((a) => a.id).filter((id) => id !== asked);
  const found = await Promise.all(
    others.map(async (id) => {
      // Reading a history never creates the session; no sessionId means no such session.
      const h = await client.request<HistoryResult>("chat.history", {
        sessionKey: key,
        agentId: id,
        limit: 1,
      });
      return h.sessionId === undefined ? undefined : id;
    }),
  );
  return { asked, owners: found.filter((id): id is string => id !== undefined) };
}

/** The one-line error plus how to name the session when other agents have the key. */
export async function noSession(
  client: GatewayClient,
  command: "show" | "delete",
  key: string,
  agentId: string | undefined,
  data: unknown,
): Promise<CliError> {
  const { asked, owners } = await otherOwners(client, key, agentId).catch(() => ({
    asked: agentId ?? "",
    owners: [] as string[],
  }));
  if (owners.length === 0) {
    return new CliError(`no session ${key}`, EXIT.error, "`keel sessions` lists the sessions", data);
  }
  const who = owners.length === 1 ? `agent ${owners[0]} has one` : `agents ${owners.join(", ")} have one`;
  const first = owners[0]!;
  return new CliError(
    `no session ${key} for agent ${asked}; ${who}`,
    EXIT.error,
    `name it: keel sessions ${command} ${key} --agent ${first}  (or keel sessions ${command} agent:${first}:${key})`,
    data,
  );
}
