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

/** Whether a set of granted scopes satisfies `required` (admin implies all; write implies talk). */
export function hasScope(granted: readonly string[], required: Scope): boolean {
  if (granted.includes(required) || granted.includes("operator.admin")) return true;
  return required === "operator.talk" && granted.includes("operator.write");
}
