import { type KeyObject, createHmac, createSecretKey, randomBytes } from "node:crypto";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/): the signed content is
 * `${id}.${timestamp}.${body}`, HMAC-SHA256 keyed with the base64 bytes after `whsec_`, sent as
 * `v1,<base64>` in `webhook-signature`.
 */
export const SECRET_PREFIX = "whsec_";

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

/** HMAC key: raw bytes, or a KeyObject (several times cheaper per signature when reused). */
export type SigningKey = Buffer | KeyObject;

/** The secret's bytes (base64 after an optional `whsec_` prefix) as a reusable KeyObject. */
export function secretKey(secret: string): KeyObject {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return createSecretKey(Buffer.from(b64, "base64"));
}

/** True when `secret` is `whsec_` + base64 of 24 to 64 bytes. */
export function isValidSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return false;
  const n = Buffer.from(b64, "base64").length;
  return n >= 24 && n <= 64;
}

export function sign(key: SigningKey, id: string, timestampSec: number, body: string | Buffer): string {
  const h = createHmac("sha256", key);
  h.update(`${id}.${timestampSec}.`);
  h.update(body);
  return `v1,${h.digest("base64")}`;
}
