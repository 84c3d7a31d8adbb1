// Signed deliveries: an HMAC of the raw body in a header (GitHub's X-Hub-Signature-256), or a
// Stripe-style timestamped one, checked in constant time.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { HooksConfig } from "../config/schema.js";

export type SignatureConfig = NonNullable<HooksConfig["mappings"][number]["signature"]>;

/** Why a signature was refused; undefined when it is valid. */
export function signatureProblem(
  sig: SignatureConfig,
  headers: IncomingHttpHeaders,
  raw: Buffer,
  nowMs: number,
): string | undefined {
  const value = headers[sig.header.toLowerCase()];
  if (typeof value !== "string" || value.length === 0) return `signature header ${sig.header} missing`;
  if (sig.style === "plain") {
    const hex = value.startsWith(`${sig.algorithm}=`) ? value.slice(sig.algorithm.length + 1) : value;
    return hexMatches(hex, hmac(sig, raw)) ? undefined : "signature mismatch";
  }
  const fields = value.split(",").map((f) => f.trim().split("="));
  const t = fields.find(([k]) => k === "t")?.[1];
  const candidates = fields.filter(([k]) => k === "v1").map(([, v]) => v ?? "");
  if (!t || !/^[0-9]{1,12}$/.test(t) || candidates.length === 0) {
    return `signature header ${sig.header} must be "t=<unix seconds>,v1=<hex>"`;
  }
  if (Math.abs(nowMs / 1000 - Number(t)) > sig.toleranceSeconds)
    return "signature timestamp outside the tolerance";
  const expected = hmac(sig, Buffer.concat([Buffer.from(`${t}.`), raw]));
  // Every candidate is compared (no early exit), so timing does not say which one matched.
  let ok = false;
  for (const c of candidates) ok = hexMatches(c, expected) || ok;
  return ok ? undefined : "signature mismatch";
}

function hmac(sig: SignatureConfig, data: Buffer): Buffer {
  return createHmac(sig.algorithm, sig.secret).update(data).digest();
}

/** Constant-time comparison of a hex string against a digest (a malformed hex never matches). */
function hexMatches(hex: string, digest: Buffer): boolean {
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digest.length * 2) return false;
  return timingSafeEqual(Buffer.from(hex, "hex"), digest);
}
