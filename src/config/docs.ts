// The README's configuration table, generated from the schema (a test keeps README in step).
import type { TSchema } from "@sinclair/typebox";
import { fields } from "./walk.js";

/** One markdown row per key: key, env var, default, range/values, reload, doc. */
export function configTable(): string {
  const rows = [
    "| key | env | default | range / values | reload | what it does |",
    "|---|---|---|---|---|---|",
  ];
  for (const f of fields()) {
    const s = f.schema;
    const env = s["env"] ? `\`${s["env"]}\`` : "";
    rows.push(
      `| \`${f.path}\` | ${env} | ${fmtDefault(s)} | ${fmtRange(s)} | ${f.reload ?? ""} | ${escapeCell(String(s["description"] ?? ""))} |`,
    );
  }
  return rows.join("\n");
}

function fmtDefault(s: TSchema): string {
  if (s["default"] === undefined) return s["secret"] ? "(unset)" : "";
  const d = s["default"];
  if (typeof d === "object")
    return Object.keys(d as object).length === 0 ? "(none)" : `\`${JSON.stringify(d)}\``;
  return `\`${JSON.stringify(d)}\``;
}

function fmtRange(s: TSchema): string {
  if (s["type"] === "integer") return `${fmtNum(s["minimum"] as number)} – ${fmtNum(s["maximum"] as number)}`;
  const any = s["anyOf"] as TSchema[] | undefined;
  if (any?.every((m) => m["const"] !== undefined)) return any.map((m) => `\`${m["const"]}\``).join(", ");
  if (any) return "string or object";
  if (s["type"] === "boolean") return "true, false";
  if (s["pattern"]) return `pattern \`${s["pattern"]}\``;
  if (s["patternProperties"]) return "map";
  if (s["type"] === "array") return "list";
  return s["type"] ? String(s["type"]) : "";
}

function fmtNum(n: number): string {
  return n.toLocaleString("en-US").replaceAll(",", "_");
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("<", "&lt;");
}
