import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type SecretBox, type SwappableSecretBox, createSecretBox, parseMasterKey } from "../core/secret-box.ts";
import type { CiphertextColumn, Store } from "../store/store.ts";

export const MASTER_KEY_CHECK = "master_key_check";

export interface ReencryptResult {
  endpoints: number;
  /** Ciphertexts now under the current key. */
  reencrypted: number;
  passes: number;
}

const COLUMNS: [CiphertextColumn, "secretEnc" | "previousSecretEnc" | "credentialsEnc"][] = [
  ["secret_enc", "secretEnc"],
  ["previous_secret_enc", "previousSecretEnc"],
  ["credentials_enc", "credentialsEnc"],
];

/**
 * Re-encrypts every secret that is not under the box's current key, while the service runs:
 * each ciphertext is replaced only if it has not changed meanwhile (a concurrent save wins, and the
 * next pass looks at it again). When a pass finds nothing left, the database's check value moves
 * to the current key, after which processes still configured with only the old key refuse to
 * start instead of failing at their first delivery.
 */
export async function reencryptSecrets(store: Store, box: SecretBox, onProgress: (done: number) => void = () => {}): Promise<ReencryptResult> {
  let reencrypted = 0;
  let endpoints = 0;
  for (let pass = 1; pass <= 10; pass++) {
    let changedThisPass = 0;
    let after = "";
    endpoints = 0;
    for (let page = 0; page < 1_000_000; page++) {
      const rows = await store.listCiphertexts(after, 200);
      const last = rows.at(-1);
      if (last === undefined) break;
      for (const row of rows) {
        endpoints++;
        for (const [column, field] of COLUMNS) {
          const stored = row[field];
          if (stored === null || box.keyIdOf(stored) === box.keyId) continue;
          const fresh = box.encrypt(box.decrypt(stored));
          if (await store.replaceCiphertext(row.id, column, stored, fresh)) {
            reencrypted++;
            changedThisPass++;
          } else {
            changedThisPass++; // changed under us: look again next pass
          }
        }
      }
      after = last.id;
      onProgress(endpoints);
    }
    if (changedThisPass === 0) {
      await store.setMeta(MASTER_KEY_CHECK, box.checkValue());
      return { endpoints, reencrypted, passes: pass };
    }
  }
  throw new Error(
    "secrets kept changing under other master keys for 10 passes: make sure every process runs with the new TOCSIN_MASTER_KEY, then run this again",
  );
}

/**
 * Rotates a master key kept in `<dataDir>/master-key` (the embedded default), in a running process:
 * the old key goes to `master-key.previous` first, the new one replaces `master-key` atomically,
 * the process switches to (new, old), every secret is re-encrypted, and `master-key.previous` is
 * removed. At every moment the two files hold every key a ciphertext may be under, so a crash
 * loses nothing: started again with `master-key.previous` present, the rotation resumes.
 */
export async function rotateFileMasterKey(dataDir: string, store: Store, box: SwappableSecretBox, generate: () => string): Promise<ReencryptResult> {
  const keyFile = join(dataDir, "master-key");
  const previousFile = join(dataDir, "master-key.previous");
  const read = (f: string) => readFileSync(f, "utf8").trim();
  const resuming = existsSync(previousFile) && read(previousFile) !== read(keyFile);
  if (!resuming) {
    if (!existsSync(previousFile)) writeFileSync(previousFile, `${read(keyFile)}\n`, { mode: 0o600, flag: "wx" });
    writeFileSync(`${keyFile}.new`, `${generate()}\n`, { mode: 0o600 });
    renameSync(`${keyFile}.new`, keyFile);
  }
  const current = parseMasterKey(read(keyFile));
  box.swap(createSecretBox(current, [parseMasterKey(read(previousFile))]));
  const result = await reencryptSecrets(store, box);
  rmSync(previousFile, { force: true });
  box.swap(createSecretBox(current));
  return result;
}
