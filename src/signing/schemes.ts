import { type KeyObject, createHmac, createSecretKey } from "node:crypto";
import type { SigningSettings } from "../core/types.ts";
import { isValidSecretKey, privateKeyObject, signV1a } from "./ed25519.ts";
import { SECRET_PREFIX, isValidSecret, secretKey, sign } from "./standard.ts";

/**
 * Every signing scheme an endpoint can use. One endpoint secret serves them all:
 * - `standard`: Standard Webhooks (`webhook-signature: v1,<base64>`), keyed with the bytes the
 *   `whsec_` secret encodes;
 * - `hmac-sha256`: a plain HMAC-SHA256 of the exact body bytes (or `<unix seconds>:<body>` when a
 *   timestamp header is set) in one header, keyed with the secret string's UTF-8 bytes exactly as
 *   shown to the user (mon1tor, GitHub, Grafana, PagerDuty);
 * - `ed25519`: Standard Webhooks asymmetric (`webhook-signature: v1a,<base64>`), signed with the
 *   endpoint's own ed25519 key pair instead of the secret (see ed25519.ts): the stored secret is the
 *   `whsk_` secret key, which never leaves the server;
 * - `none`: no signature.
 */

/** A secret a user may supply for `hmac-sha256`: 16 to 256 printable ASCII characters, no spaces. */
export function isValidHmacSecret(secret: string): boolean {
  return /^[\x21-\x7e]{16,256}$/.test(secret);
}

/** Whether `secret` can sign under `signing` (the scheme can change while the secret stays). */
export function secretFitsScheme(signing: SigningSettings, secret: string): boolean {
  if (signing.scheme === "ed25519") return isValidSecretKey(secret);
  return signing.scheme === "standard" ? isValidSecret(secret) : isValidHmacSecret(secret) || isValidSecret(secret);
}

/**
 * Whether the scheme's header can carry several signatures, so that a rotated secret can overlap
 * with the previous one: Standard Webhooks (space-separated) and the PagerDuty form (`v1=`,
 * comma-separated). Other single-value headers switch to the new secret at once.
 */
export function allowsSignatureList(signing: SigningSettings): boolean {
  return signing.scheme === "standard" || signing.scheme === "ed25519" || (signing.scheme === "hmac-sha256" && signing.prefix === "v1=");
}

/** The key for `secret` under `signing` (HMAC, or ed25519 private); null when that secret cannot sign under it. */
export function keyForScheme(signing: SigningSettings, secret: string): KeyObject | null {
  if (signing.scheme === "ed25519") return isValidSecretKey(secret) ? privateKeyObject(secret) : null;
  if (signing.scheme === "standard") return secret.startsWith(SECRET_PREFIX) && isValidSecret(secret) ? secretKey(secret) : null;
  if (signing.scheme === "hmac-sha256") return createSecretKey(Buffer.from(secret, "utf8"));
  return null;
}

export function hmacSignature(key: KeyObject, encoding: "hex" | "base64", body: string | Buffer, timestampSec: number | null): string {
  const h = createHmac("sha256", key);
  if (timestampSec !== null) h.update(`${timestampSec}:`);
  h.update(body);
  return h.digest(encoding);
}

/**
 * The signature headers of one request. `keys` holds the current key first, then any previous
 * key still in its overlap period.
 */
export function signatureHeaders(signing: SigningSettings, keys: readonly KeyObject[], id: string, timestampSec: number, body: string): [string, string][] {
  if (signing.scheme === "none" || keys.length === 0) return [];
  const used = allowsSignatureList(signing) ? keys : keys.slice(0, 1);
  if (signing.scheme === "standard") return [["webhook-signature", used.map((k) => sign(k, id, timestampSec, body)).join(" ")]];
  if (signing.scheme === "ed25519") return [["webhook-signature", used.map((k) => signV1a(k, id, timestampSec, body)).join(" ")]];
  const ts = signing.timestampHeader ? timestampSec : null;
  const value = used.map((k) => signing.prefix + hmacSignature(k, signing.encoding, body, ts)).join(",");
  const out: [string, string][] = [[signing.header, value]];
  if (signing.timestampHeader) out.push([signing.timestampHeader, String(timestampSec)]);
  return out;
}
