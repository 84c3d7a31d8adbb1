// gateway.trustedProxies entries checked as addresses, not just by pattern: a bad one is a config
// error with its path (exit 78), never a startup crash.
import { isIP } from "node:net";
import type { ConfigProblem } from "./load.js";

/** One problem per entry that is not an IP address or a CIDR with a prefix its family allows. */
export function trustedProxyProblems(entries: readonly string[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  entries.forEach((entry, i) => {
    const path = `gateway.trustedProxies.${i}`;
    const [address = "", bits, ...rest] = entry.split("/");
    const family = isIP(address);
    if (family === 0 || rest.length > 0) {
      out.push({ path, message: `not an IP address or CIDR (got ${JSON.stringify(entry.slice(0, 64))})` });
      return;
    }
    const max = family === 4 ? 32 : 128;
    if (bits !== undefined && !(/^[0-9]{1,3}$/.test(bits) && Number(bits) <= max)) {
      out.push({
        path,
        message: `the prefix length must be 0–${max} for an IPv${family} network (got /${bits})`,
      });
    }
  });
  return out;
}
