// Message templates over a webhook's JSON body and headers: `{{body.subject}}`, `{{headers.x}}`.
import type { IncomingHttpHeaders } from "node:http";
import { parseTemplate, type TemplatePart } from "../config/hooks.js";

/** Longest text one `{{…}}` expands to: a huge field cannot turn one template into a flood. */
const MAX_VALUE_CHARS = 64 * 1024;

/**
 * Renders a template (validated by the config loader) against a request. A missing value is
 * empty; a string is inserted as is, a number or boolean as text, an object or array as JSON.
 */
export function renderTemplate(template: string, body: unknown, headers: IncomingHttpHeaders): string {
  return parseTemplate(template)
    .parts.map((p) => part(p, body, headers))
    .join("");
}

function part(p: TemplatePart, body: unknown, headers: IncomingHttpHeaders): string {
  if (p.kind === "text") return p.text;
  if (p.kind === "header") {
    const v = headers[p.name];
    return (Array.isArray(v) ? v.join(", ") : (v ?? "")).slice(0, MAX_VALUE_CHARS);
  }
  let node: unknown = body;
  for (const seg of p.path) {
    if (node === null || typeof node !== "object") return "";
    node = Object.hasOwn(node, seg) ? (node as Record<string | number, unknown>)[seg] : undefined;
  }
  if (node === undefined || node === null) return "";
  const text =
    typeof node === "string" ? node : typeof node === "object" ? JSON.stringify(node) : String(node);
  return text.slice(0, MAX_VALUE_CHARS);
}
