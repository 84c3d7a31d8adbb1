// The gateway's shared secret: configured token/password, or a token generated on first run.
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GatewayConfig } from "../config/schema.js";

export type AuthMode = "token" | "password" | "none";

export interface GatewaySecret {
  mode: AuthMode;
  token?: string;
  password?: string;
  /** Set when the token was read from or written to <state>/gateway-token. */
  tokenFile?: string;
  /** True when this start generated the token. */
  generated?: boolean;
  /** The expected secret's SHA-256, filled at the first check (each attempt then hashes only its own). */
  digest?: Buffer;
}

export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretError";
  }
}

/** Path of the generated token. */
export function tokenFilePath(stateDir: string): string {
  return join(stateDir, "gateway-token");
}

/**
 * Resolves how clients authenticate. Auth fails closed: mode "none" must be explicit and is
 * refused on a LAN bind; token mode without a configured token uses (or creates) the token file.
 */
export function resolveSecret(gateway: GatewayConfig, stateDir: string): GatewaySecret {
  const { mode, token, password } = gateway.auth;
  if (mode === "none") {
    if (gateway.bind === "lan") {
      throw new SecretError(
        'refusing to bind to the LAN with gateway.auth.mode "none"; set a token or password',
      );
    }
    return { mode };
  }
  if (mode === "password") {
    if (!password)
      throw new SecretError('gateway.auth.mode is "password" but gateway.auth.password is not set');
    return { mode, password };
  }
  if (token) return { mode, token };
  const file = tokenFilePath(stateDir);
  try {
    const existing = readFileSync(file, "utf8").trim();
    if (existing.length >= 16) return { mode, token: existing, tokenFile: file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const generated = randomBytes(24).toString("base64url");
  writeFileSync(file, `${generated}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { mode, token: generated, tokenFile: file, generated: true };
}
