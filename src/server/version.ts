// The gateway's version for hello-ok and status.
import { VERSION } from "../version.js";

/** Keel's version (a test keeps src/version.ts equal to package.json's version). */
export function packageVersion(): string {
  return VERSION;
}
