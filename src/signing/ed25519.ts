import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";

/**
 * Standard Webhooks asymmetric signatures (`v1a`): ed25519 over `${id}.${timestamp}.${body}`, sent
 * as `v1a,<base64 of the 64-byte signature>` in `webhook-signature`. Keys are shown the spec's way:
 * the secret key as `whsk_` + base64, the public key as `whpk_` + base64 of its 32 raw bytes. The
 * secret key's bytes are the 32-byte seed followed by the 32-byte public key (the layout libsodium
 * and the Standard Webhooks libraries use); only the server ever holds it.
 */
export const SECRET_KEY_PREFIX = "whsk_";
export const PUBLIC_KEY_PREFIX = "whpk_";

// DER prefixes of PKCS#8 (private) and SPKI (public) ed25519 keys; the raw 32 bytes follow.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export interface Ed25519KeyPair {
  /** `whsk_…`: stays on the server, encrypted at rest. */
  secretKey: string;
  /** `whpk_…`: what receivers verify with. */
  publicKey: string;
}

export function generateKeyPair(): Ed25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_PREFIX.length);
  const pub = publicKey.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
  return { secretKey: SECRET_KEY_PREFIX + Buffer.concat([seed, pub]).toString("base64"), publicKey: PUBLIC_KEY_PREFIX + pub.toString("base64") };
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function bytesAfter(prefix: string, s: string): Buffer | null {
  if (!s.startsWith(prefix)) return null;
  const b64 = s.slice(prefix.length);
  return B64.test(b64) ? Buffer.from(b64, "base64") : null;
}

/** True when `s` is `whsk_` + base64 of a 64-byte seed-and-public-key whose halves belong together. */
export function isValidSecretKey(s: string): boolean {
  const b = bytesAfter(SECRET_KEY_PREFIX, s);
  if (b === null || b.length !== 64) return false;
  return publicKeyBytes(createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, b.subarray(0, 32)]), format: "der", type: "pkcs8" })).equals(b.subarray(32));
}

/** True when `s` is `whpk_` + base64 of 32 bytes. */
export function isValidPublicKey(s: string): boolean {
  const b = bytesAfter(PUBLIC_KEY_PREFIX, s);
  return b !== null && b.length === 32;
}

/** The signing key for a `whsk_` secret key (throws on anything else: callers check first). */
export function privateKeyObject(secretKey: string): KeyObject {
  const b = bytesAfter(SECRET_KEY_PREFIX, secretKey);
  if (b === null || b.length !== 64) throw new TypeError("not a whsk_ ed25519 secret key");
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, b.subarray(0, 32)]), format: "der", type: "pkcs8" });
}

/** The verifying key for a `whpk_` public key (throws on anything else). */
export function publicKeyObject(publicKey: string): KeyObject {
  const b = bytesAfter(PUBLIC_KEY_PREFIX, publicKey);
  if (b === null || b.length !== 32) throw new TypeError("not a whpk_ ed25519 public key");
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, b]), format: "der", type: "spki" });
}

function publicKeyBytes(k: KeyObject): Buffer {
  return createPublicKey(k).export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
}

/** The `whpk_` public key that goes with a `whsk_` secret key. */
export function publicKeyOf(secretKey: string): string {
  return PUBLIC_KEY_PREFIX + publicKeyBytes(privateKeyObject(secretKey)).toString("base64");
}

/** `v1a,<base64>`: the ed25519 signature of `${id}.${timestampSec}.${body}`. */
export function signV1a(key: KeyObject, id: string, timestampSec: number, body: string | Buffer): string {
  const head = `${id}.${timestampSec}.`;
  const data = typeof body === "string" ? Buffer.from(head + body, "utf8") : Buffer.concat([Buffer.from(head, "utf8"), body]);
  return `v1a,${sign(null, data, key).toString("base64")}`;
}

/** Whether `signature` (raw bytes) is `key`'s ed25519 signature of `${id}.${timestampSec}.${body}`. */
export function verifyV1a(key: KeyObject, id: string, timestampSec: number, body: string | Buffer, signature: Buffer): boolean {
  const head = Buffer.from(`${id}.${timestampSec}.`, "utf8");
  return verify(null, Buffer.concat([head, typeof body === "string" ? Buffer.from(body, "utf8") : body]), key, signature);
}
