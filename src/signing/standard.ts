import { type KeyObject, createHmac, createSecretKey, randomBytes, timingSafeEqual } from "node:crypto";

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

export type VerifyFailure = "missing_header" | "bad_timestamp" | "timestamp_out_of_tolerance" | "bad_signature";

export interface VerifyInput {
  key: SigningKey;
  id: string | undefined;
  timestamp: string | undefined;
  signatureHeader: string | undefined;
  body: string | Buffer;
  nowSec: number;
  toleranceSec?: number;
}

/** Verifies a Standard Webhooks signature header (several space-separated signatures allowed). */
export function verify(input: VerifyInput): { ok: true } | { ok: false; reason: VerifyFailure } {
  const { id, timestamp, signatureHeader } = input;
  if (!id || !timestamp || !signatureHeader) return { ok: false, reason: "missing_header" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "bad_timestamp" };
  const ts = Number(timestamp);
  const tolerance = input.toleranceSec ?? 300;
  if (Math.abs(input.nowSec - ts) > tolerance) return { ok: false, reason: "timestamp_out_of_tolerance" };
  const expected = Buffer.from(sign(input.key, id, ts, input.body).slice(3), "base64");
  for (const part of signatureHeader.split(" ")) {
    const comma = part.indexOf(",");
    if (comma < 0 || part.slice(0, comma) !== "v1") continue;
    const got = Buffer.from(part.slice(comma + 1), "base64");
    if (got.length === expected.length && timingSafeEqual(got, expected)) return { ok: true };
  }
  return { ok: false, reason: "bad_signature" };
}
