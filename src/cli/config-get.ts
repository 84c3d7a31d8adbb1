// `keel config get [path]`: the running gateway's effective config (secrets redacted) via config.get.
import { CliError, EXIT } from "./errors.js";
import { Out } from "./output.js";
import { withGateway } from "./session.js";
import type { ClientFlags } from "./target.js";

interface ConfigGetResult {
  path?: string | null;
  exists?: boolean;
  valid?: boolean;
  hash?: string;
  config?: Record<string, unknown>;
  issues?: { path: string; message: string }[];
}

/** Prints the whole config, or the value at a dotted path (`gateway.port`). Needs operator.admin. */
export async function configGet(path: string | undefined, flags: ClientFlags): Promise<number> {
  const out = new Out();
  const result = await withGateway(flags, { scopes: ["operator.read"] }, (client) =>
    client.request<ConfigGetResult>("config.get", {}),
  );
  if (path !== undefined) {
    const value = pick(result.config, path);
    if (value === undefined) {
      throw new CliError(`no config key ${path}`, EXIT.error, "run `keel config get` to see every key");
    }
    if (flags.json || typeof value === "object") out.json(value);
    else out.line(String(value));
    return EXIT.ok;
  }
  if (flags.json) {
    out.json(result);
    return EXIT.ok;
  }
  out.rows([
    ["File", `${result.path ?? "(none)"}${result.exists === false ? " (not present; defaults in use)" : ""}`],
    ["Hash", result.hash ?? "?"],
  ]);
  for (const issue of result.issues ?? []) {
    out.line(out.paint(`problem: ${issue.path}: ${issue.message}`, "yellow"));
  }
  out.json(result.config ?? {});
  return EXIT.ok;
}

/** The value at a dotted path, or undefined. */
export function pick(tree: unknown, path: string): unknown {
  let node = tree;
  for (const seg of path.split(".")) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, seg)) return undefined;
    node = (node as Record<string, unknown>)[seg];
  }
  return node;
}
