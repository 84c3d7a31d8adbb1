// doctor's model checks: each model ref against the config, each provider probed with its own key.
import { modelRefSites } from "../config/refs.js";
import type { Config, ProviderConfig } from "../config/schema.js";
import { PROBE_TIMEOUT_MS, type ProbeResult, probeProvider } from "../models/probe.js";
import type { Check } from "./doctor.js";

/** Provider and model-ref checks, one line per problem with its fix. Probes run in parallel. */
export async function modelChecks(config: Config, timeoutMs: number = PROBE_TIMEOUT_MS): Promise<Check[]> {
  const providers = Object.entries(config.models.providers);
  if (providers.length === 0) {
    return [
      {
        name: "models",
        status: "fail",
        message: "no model provider configured (models.providers is empty): no chat can run",
        hint: "`keel init --openai` (or --anthropic, or --base-url URL --api-key-env NAME) writes a starter config; or set OPENAI_API_KEY or ANTHROPIC_API_KEY where the gateway runs",
      },
    ];
  }
  const probes = new Map(
    await Promise.all(providers.map(async ([id, p]) => [id, await probeProvider(p, timeoutMs)] as const)),
  );
  const checks: Check[] = providers.map(([id, p]) => providerCheck(id, p, probes.get(id)!));
  checks.push(...agentChecks(config), ...refChecks(config, probes));
  return checks;
}

function providerCheck(id: string, p: ProviderConfig, r: ProbeResult): Check {
  const name = `provider ${id}`;
  const key = `models.providers.${id}`;
  switch (r.state) {
    case "ok":
      return { name, status: "ok", message: `${r.url}: ${r.message} (${r.durationMs} ms)` };
    case "auth":
      return {
        name,
        status: "fail",
        message: `${r.url} rejected the key (${r.message})`,
        hint: p.apiKey
          ? `check ${key}.apiKey (and the environment variable it names)`
          : `${key} has no apiKey; set it, e.g. "\${OPENAI_API_KEY}"`,
      };
    case "refused":
      return {
        name,
        status: "fail",
        message: `${r.url}: ${r.message}`,
        hint: `start the model server, or fix ${key}.baseUrl`,
      };
    case "timeout":
    case "unreachable":
      return {
        name,
        status: "fail",
        message: `${r.url}: ${r.message}`,
        hint: `check ${key}.baseUrl and the network (proxy, firewall)`,
      };
    case "http":
      return {
        name,
        status: "warn",
        message: `${r.url} answered ${r.message}`,
        hint:
          r.status === 404
            ? `check ${key}.baseUrl (OpenAI-compatible servers usually end in /v1); some servers have no model list`
            : "the provider may be down; try again, or check its status page",
      };
  }
}

/** An agent with no model at all can never run a turn. */
function agentChecks(config: Config): Check[] {
  const { agents } = config;
  if (agents.defaults.model !== undefined) return [];
  const ids = [...new Set([agents.defaultId, ...Object.keys(agents.entries)])];
  return ids
    .filter((id) => agents.entries[id]?.model === undefined)
    .map((id) => ({
      name: "model",
      status: id === agents.defaultId ? ("fail" as const) : ("warn" as const),
      message: `${id === agents.defaultId ? "default agent" : "agent"} "${id}" has no model configured`,
      hint: `set agents.defaults.model (or agents.entries.${id}.model) to "provider/model"`,
    }));
}

/** Each ref against the provider's configured `models` list and, when it sent one, its own list. */
function refChecks(config: Config, probes: ReadonlyMap<string, ProbeResult>): Check[] {
  const out: Check[] = [];
  for (const site of modelRefSites(config.agents)) {
    const provider = config.models.providers[site.provider];
    // Unknown providers stop the config loader (exit 78); doctor's config check reported it.
    if (!provider) continue;
    const served = probes.get(site.provider)?.models;
    const configured = provider.models.some((m) => m.id === site.model);
    if (served && !served.includes(site.model)) {
      const some = served.slice(0, 5).join(", ") + (served.length > 5 ? ", …" : "");
      out.push({
        name: "model",
        status: "fail",
        message: `${site.path}: provider "${site.provider}" does not serve "${site.model}" (it lists ${served.length}: ${some || "none"})`,
        hint: `use a model id the provider lists (\`keel models\`), or fix ${site.path}`,
      });
    } else if (!configured) {
      out.push({
        name: "model",
        status: "warn",
        message: `${site.path}: "${site.model}" is not in models.providers.${site.provider}.models${served ? " (the provider serves it)" : ""}`,
        hint: `add {id: "${site.model}", contextWindow: …} there so Keel knows its limits`,
      });
    } else {
      const confirmed = served ? " (the provider serves it)" : "";
      out.push({ name: "model", status: "ok", message: `${site.path}: ${site.ref}${confirmed}` });
    }
  }
  return out;
}
