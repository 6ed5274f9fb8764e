import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * AES-256-GCM encryption of secrets at rest. Stored form: `v1:` + base64(iv | tag | ciphertext).
 * The master key is 32 bytes; `check()` produces a value stored once per database so that a wrong
 * key is detected at start instead of at the first delivery.
 */
export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
  checkValue(): string;
}

export function parseMasterKey(text: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  const b = /^[A-Za-z0-9+/]{43}=$|^[A-Za-z0-9_-]{43}$/.test(t) ? Buffer.from(t, "base64") : null;
  if (b?.length === 32) return b;
  throw new Error("TOCSIN_MASTER_KEY must be 32 bytes as 64 hex characters or base64 (openssl rand -base64 32)");
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error("master key must be 32 bytes");
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", key, iv);
      const ct = Buffer.concat([c.update(plain, "utf8"), c.final()]);
      return `v1:${Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64")}`;
    },
    decrypt(stored) {
      if (!stored.startsWith("v1:")) throw new Error("unknown secret format");
      const raw = Buffer.from(stored.slice(3), "base64");
      if (raw.length < 28) throw new Error("stored secret is truncated");
      const d = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12), { authTagLength: 16 });
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString("utf8");
    },
    checkValue() {
      return createHash("sha256").update("tocsin-master-key-check").update(key).digest("base64");
    },
  };
}
