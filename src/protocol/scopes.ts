// Operator scopes and the rule that admin implies every other operator scope.

export const SCOPES = [
  "operator.read",
  "operator.write",
  "operator.admin",
  "operator.approvals",
  "operator.pairing",
  "operator.talk",
  "operator.talk.secrets",
] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes granted when a shared-secret client asks for none. */
export const DEFAULT_SCOPES: readonly Scope[] = ["operator.read", "operator.write"];

/**
 * What a method requires: an operator scope, or `"connected"` for methods any authenticated
 * connection may call (health, which a scope-less probe connect uses).
 */
export type MethodScope = Scope | "connected";

/**
 * Whether a set of granted scopes satisfies `required`: admin implies every scope; write implies
 * read and talk (a write-only client — the CLI's `agent` — still reads and gets chat events).
 */
export function hasScope(granted: readonly string[], required: MethodScope): boolean {
  if (required === "connected") return true;
  if (granted.includes(required) || granted.includes("operator.admin")) return true;
  return (required === "operator.talk" || required === "operator.read") && granted.includes("operator.write");
}
