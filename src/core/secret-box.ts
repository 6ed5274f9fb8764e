import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * AES-256-GCM encryption of secrets at rest. Stored form: `v2:<key id>:` + base64(iv | tag |
 * ciphertext), where the key id names the master key that made it (16 hex digits of a hash of the
 * key), so a later master-key rotation can tell old ciphertexts from new ones without a migration.
 * `v1:` (no key id) is still read, with the current key. `checkValue()` produces a value stored
 * once per database so that a wrong key is detected at start instead of at the first delivery.
 */
export interface SecretBox {
  /** The id of the key new ciphertexts are made with. */
  readonly keyId: string;
  encrypt(plain: string): string;
  decrypt(stored: string): string;
  /** The key id of a stored ciphertext (null for the older `v1:` form). */
  keyIdOf(stored: string): string | null;
  checkValue(): string;
}

export function parseMasterKey(text: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  const b = /^[A-Za-z0-9+/]{43}=$|^[A-Za-z0-9_-]{43}$/.test(t) ? Buffer.from(t, "base64") : null;
  if (b?.length === 32) return b;
  throw new Error("TOCSIN_MASTER_KEY must be 32 bytes as 64 hex characters or base64 (openssl rand -base64 32)");
}

export function masterKeyId(key: Buffer): string {
  return createHash("sha256").update("tocsin-master-key-id").update(key).digest("hex").slice(0, 16);
}

/**
 * `key` encrypts and decrypts; `olderKeys` only decrypt (what a master-key rotation needs while
 * it re-encrypts).
 */
export function createSecretBox(key: Buffer, olderKeys: Buffer[] = []): SecretBox {
  for (const k of [key, ...olderKeys]) if (k.length !== 32) throw new Error("master key must be 32 bytes");
  const keyId = masterKeyId(key);
  const byId = new Map<string, Buffer>([[keyId, key]]);
  for (const k of olderKeys) byId.set(masterKeyId(k), k);

  const open = (k: Buffer, b64: string) => {
    const raw = Buffer.from(b64, "base64");
    if (raw.length < 28) throw new Error("stored secret is truncated");
    const d = createDecipheriv("aes-256-gcm", k, raw.subarray(0, 12), { authTagLength: 16 });
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString("utf8");
  };

  return {
    keyId,
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", key, iv);
      const ct = Buffer.concat([c.update(plain, "utf8"), c.final()]);
      return `v2:${keyId}:${Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64")}`;
    },
    decrypt(stored) {
      if (stored.startsWith("v1:")) return open(key, stored.slice(3));
      if (!stored.startsWith("v2:") || stored.charAt(19) !== ":") throw new Error("unknown secret format");
      const id = stored.slice(3, 19);
      const k = byId.get(id);
      if (!k) throw new Error(`secret was encrypted under master key ${id}, which is not configured (current key: ${keyId})`);
      return open(k, stored.slice(20));
    },
    keyIdOf(stored) {
      return stored.startsWith("v2:") ? stored.slice(3, 19) : null;
    },
    checkValue() {
      return createHash("sha256").update("tocsin-master-key-check").update(key).digest("base64");
    },
  };
}

/** A SecretBox whose keys can be replaced while the process runs (an online master-key rotation). */
export interface SwappableSecretBox extends SecretBox {
  swap(next: SecretBox): void;
}

export function swappable(initial: SecretBox): SwappableSecretBox {
  let box = initial;
  return {
    get keyId() {
      return box.keyId;
    },
    encrypt: (plain) => box.encrypt(plain),
    decrypt: (stored) => box.decrypt(stored),
    keyIdOf: (stored) => box.keyIdOf(stored),
    checkValue: () => box.checkValue(),
    swap(next) {
      box = next;
    },
  };
}
