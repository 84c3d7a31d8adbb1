// The gateway's version for hello-ok and status, read from package.json at start.
import { readFileSync } from "node:fs";

/**
 * Reads `version` from the package's package.json (two levels up from both src/server and
 * dist/server). Read at start() rather than imported: server/ must not depend on cli/, and
 * package.json lies outside the compiled rootDir.
 */
export function packageVersion(): string {
  try {
    const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === "string" ? version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}
