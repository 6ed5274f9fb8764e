import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

/**
 * The embedded data folder: SQLite database, lock, generated keys. The lock is an exclusive
 * SQLite lock held for the life of the process; the OS releases it when the process dies, even
 * by `kill -9`, so a stale lock never needs cleaning up.
 */
export interface DataDir {
  path: string;
  dbPath: string;
  release(): void;
}

export class DataDirLockedError extends Error {}
/** The data folder's disk has no room even for the lock. */
export class DataDirFullError extends Error {}

export function openDataDir(path: string): DataDir {
  const lockPath = join(path, "tocsin.lock");
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    if (!existsSync(lockPath)) closeSync(openSync(lockPath, "a", 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOSPC" || (e as NodeJS.ErrnoException).code === "EDQUOT") {
      throw new DataDirFullError(`The disk holding the data folder ${path} is full (${(e as Error).message}). Free some space there, then start again.`);
    }
    throw e;
  }
  const lock = new DatabaseSync(lockPath, { timeout: 0 });
  try {
    lock.exec("PRAGMA locking_mode = EXCLUSIVE");
    lock.exec("BEGIN EXCLUSIVE");
    lock.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER)");
    lock.exec("DELETE FROM holder");
    lock.prepare("INSERT INTO holder (pid) VALUES (?)").run(process.pid);
    lock.exec("COMMIT");
    // In exclusive locking mode the lock stays after COMMIT until the connection closes.
  } catch (e) {
    lock.close();
    // SQLITE_BUSY: another process holds the lock. Anything else is not "in use": say what it is.
    const code = Number((e as { errcode?: unknown }).errcode) & 0xff;
    if (code === 13 || /full|no space/i.test(String((e as Error).message))) {
      throw new DataDirFullError(`The disk holding the data folder ${path} is full (${(e as Error).message}). Free some space there, then start again.`);
    }
    if (code !== 5 && code !== 6) throw new DataDirLockedError(`Cannot lock the data folder ${path}: ${(e as Error).message}`, { cause: e });
    throw new DataDirLockedError(
      `The data folder ${path} is in use by another Tocsin process. Stop that process, or give this one its own folder with --data-dir or TOCSIN_DATA_DIR.`,
      { cause: e },
    );
  }
  return {
    path,
    dbPath: join(path, "tocsin.db"),
    release: () => lock.close(),
  };
}

/**
 * Reads a key file, or creates it (mode 0600) with `generate()` when absent.
 * Returns the key and whether it was created.
 */
export function readOrCreateKeyFile(file: string, generate: () => string): { key: string; created: boolean } {
  if (existsSync(file)) return { key: readFileSync(file, "utf8").trim(), created: false };
  const key = generate();
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return { key, created: true };
}

export const generateApiKey = () => `tsk_${randomBytes(32).toString("base64url")}`;
export const generateMasterKey = () => randomBytes(32).toString("base64");
