import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Kysely } from "kysely";
import { createCrud } from "../crud.ts";
import { createStatsMethods } from "../stats.ts";
import { migrateToLatest } from "../migrate.ts";
import type { StatementObserver } from "../statement-observer.ts";
import { type Store, StoreUnavailableError } from "../store.ts";
import { coerceError } from "../../core/errors.ts";
import { storageError } from "./sqlite-errors.ts";
import { startCheckpointer } from "./checkpointer.ts";
import { createNodeSqliteDialect } from "./node-sqlite-dialect.ts";
import { SqliteDb } from "./sqlite-db.ts";
import { createSqliteQueue } from "./sqlite-queue.ts";

export interface SqliteStoreOptions {
  path: string;
  synchronous: "NORMAL" | "FULL";
  busyTimeoutMs?: number;
  /** Told when the background checkpoint thread fails and automatic checkpoints take over. */
  onCheckpointFailure?: (e: Error) => void;
  /** Told when checkpoints stall (a full disk: the message) and when they work again (null). */
  onCheckpointStall?: (message: string | null) => void;
  /** The largest the database may grow, in bytes (PRAGMA max_page_count); beyond it writes fail as on a full disk. */
  maxBytes?: number | null;
  /** Told every statement's SQL text and run time (statement profiling); none: nothing is timed. */
  observe?: StatementObserver;
}

/** SQLite's default automatic checkpoint threshold, in WAL pages. */
const AUTO_CHECKPOINT_PAGES = 1000;

/** After a checkpoint resets the WAL, its file is cut back to this size: a burst does not keep the disk space it took. */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

/** Writes are tried again once the disk has this much room (and the database, under its size limit, some pages). */
const MIN_FREE_BYTES = 4 * 1024 * 1024;
const MIN_FREE_PAGES = 16;

/**
 * The database holds every tenant's events and the encrypted secrets: readable by its owner only.
 * SQLite gives the -wal and -shm files the database file's mode when it creates them, so the
 * database is created 0600 before SQLite opens it; files of an older install are narrowed too.
 */
function makePrivate(path: string): void {
  closeSync(openSync(path, "a", 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/** Opens (creating if needed) and migrates the embedded database; a full disk is said as such, with the path. */
export async function createSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  try {
    return await openSqliteStore(opts);
  } catch (e) {
    const err = storageError(e);
    if (err instanceof StoreUnavailableError && err.fault === "disk_full") {
      throw new StoreUnavailableError(
        `The disk holding the database ${opts.path} is full (${coerceError(e).message}). Free some space there, then start again.`,
        err,
      );
    }
    throw e;
  }
}

async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  if (opts.path !== ":memory:") makePrivate(opts.path);
  const raw = new DatabaseSync(opts.path, { timeout: opts.busyTimeoutMs ?? 5000 });
  raw.exec("PRAGMA journal_mode = WAL");
  raw.exec(`PRAGMA synchronous = ${opts.synchronous}`);
  raw.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT}`);
  if (opts.maxBytes) {
    const { page_size } = raw.prepare("PRAGMA page_size").get() as { page_size: number };
    raw.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(opts.maxBytes / page_size))}`);
  }
  // Migrations run before anything else uses the connection.
  await migrateToLatest(new Kysely({ dialect: createNodeSqliteDialect(raw) }));
  const db = new SqliteDb(raw, opts.observe);
  // Checkpoints (and their fsync) run on a thread of their own, not inside a COMMIT on this one.
  raw.exec("PRAGMA wal_autocheckpoint = 0");
  const checkpointer = startCheckpointer(opts.path, {
    onFailure: (e) => {
      if (raw.isOpen) raw.exec(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
      opts.onCheckpointFailure?.(e);
    },
    onStall: opts.onCheckpointStall,
  });
  return {
    ...createCrud(db),
    ...createSqliteQueue(db),
    ...createStatsMethods(db),
    async ping() {
      await db.get("SELECT 1 AS one");
    },
    async blockedWrites() {
      if (opts.path !== ":memory:") {
        const fs = await statfs(dirname(opts.path));
        const free = fs.bavail * fs.bsize;
        if (free < MIN_FREE_BYTES) return `${free} bytes free on the disk holding ${dirname(opts.path)}`;
      }
      const pages = (name: string) => db.get(`PRAGMA ${name}`).then((r) => Number(Object.values(r ?? {})[0]));
      const [count, max, free] = [await pages("page_count"), await pages("max_page_count"), await pages("freelist_count")];
      if (max - count + free < MIN_FREE_PAGES) return `the database is at its size limit (${count} pages; TOCSIN_SQLITE_MAX_BYTES)`;
      return null;
    },
    async close() {
      await checkpointer.stop();
      await db.exclusive(() => raw.close());
    },
    async subscribeDue() {
      return async () => {};
    },
  };
}
