// What each provider, credential and model may do now (ok, cooling, probing, disabled) and why: for health, status and models.list.
import type { CooldownView, Cooldowns, LastError } from "./cooldowns.js";
import type { ModelListEntry, ModelRegistry } from "./registry.js";
import type { ModelErrorKind } from "./types.js";

/** ok, or held back: cooling (until T), probing (one request out at expiry), disabled (billing). */
export type Availability = "ok" | "cooling" | "probing" | "disabled";

/** One credential or model's state, with the cooldown that decides it when held back. */
export interface HeldState {
  state: Availability;
  kind?: ModelErrorKind;
  until?: string;
}

/** A provider as `health` and `status` show it: its endpoint, each credential, each model. */
export interface ProviderAvailability {
  id: string;
  /** The endpoint's own state (network failures cool it for every credential). */
  endpoint: HeldState;
  credentials: ({ id: string } & HeldState)[];
  models: ({ id: string; lastError?: LastError } & HeldState)[];
}

const ORDER: readonly Availability[] = ["ok", "probing", "cooling", "disabled"];

/** What a set of cooldowns makes of one thing: the most restrictive live one decides. */
function heldBy(views: readonly CooldownView[]): HeldState {
  let worst: (CooldownView & { state: Availability }) | undefined;
  for (const v of views) {
    if (v.state === "expired") continue;
    const live = { ...v, state: v.state };
    if (worst === undefined || ORDER.indexOf(live.state) > ORDER.indexOf(worst.state)) worst = live;
  }
  return worst === undefined ? { state: "ok" } : { state: worst.state, kind: worst.kind, until: worst.until };
}

/**
 * A model's state: held back when its endpoint is, or when every credential of its provider is
 * (by a credential cooldown or one on that model); one cooled key of several leaves it `ok`,
 * because a turn rotates to the next. Ties go to the least restrictive credential.
 */
function modelState(
  views: readonly CooldownView[],
  credentials: readonly string[],
  model: string,
): HeldState {
  const endpoint = heldBy(views.filter((v) => v.scope === "endpoint"));
  if (endpoint.state !== "ok") return endpoint;
  let best: HeldState | undefined;
  for (const id of credentials) {
    const own = heldBy(
      views.filter(
        (v) =>
          v.credential === id &&
          (v.scope === "credential" || (v.scope === "credential_model" && v.model === model)),
      ),
    );
    if (own.state === "ok") return own;
    if (best === undefined || ORDER.indexOf(own.state) < ORDER.indexOf(best.state)) best = own;
  }
  return best ?? { state: "ok" };
}

function credentialIds(registry: ModelRegistry, provider: string): string[] {
  const list = registry.providers.get(provider)?.credentials ?? [];
  return list.length > 0 ? list.map((c) => c.id) : [`${provider}:none`];
}

/** `models.list` rows with each one's state, the cooldowns that hold it and its last error. */
export function listWithAvailability(registry: ModelRegistry, cooldowns: Cooldowns): ModelListEntry[] {
  return registry.list().models.map((m) => {
    const views = cooldowns.view(m.provider, m.id);
    const { state } = modelState(views, credentialIds(registry, m.provider), m.id);
    const lastError = cooldowns.lastError(m.provider, m.id);
    return { ...m, state, cooldowns: views, ...(lastError ? { lastError } : {}) };
  });
}

/** Every configured provider with its endpoint, credentials (profile ids, never secrets) and models. */
export function providerAvailability(
  registry: ModelRegistry,
  cooldowns: Cooldowns | undefined,
): ProviderAvailability[] {
  const byProvider = new Map<string, string[]>();
  for (const m of registry.list().models) {
    byProvider.set(m.provider, [...(byProvider.get(m.provider) ?? []), m.id]);
  }
  for (const id of registry.providers.keys()) if (!byProvider.has(id)) byProvider.set(id, []);
  return [...byProvider].map(([id, models]) => {
    const views = cooldowns?.view(id) ?? [];
    const credentials = credentialIds(registry, id);
    return {
      id,
      endpoint: heldBy(views.filter((v) => v.scope === "endpoint")),
      credentials: credentials.map((c) => ({
        id: c,
        ...heldBy(views.filter((v) => v.scope === "credential" && v.credential === c)),
      })),
      models: models.map((model) => {
        const lastError = cooldowns?.lastError(id, model);
        return {
          id: model,
          ...modelState(
            views.filter((v) => v.model === undefined || v.model === model),
            credentials,
            model,
          ),
          ...(lastError ? { lastError } : {}),
        };
      }),
    };
  });
}
