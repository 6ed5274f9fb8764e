import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { Kysely } from "kysely";
import { createCrud } from "../crud.ts";
import { createStatsMethods } from "../stats.ts";
import { migrateToLatest } from "../migrate.ts";
import type { StatementObserver } from "../statement-observer.ts";
import type { Store } from "../store.ts";
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
  /** Told every statement's SQL text and run time (statement profiling); none: nothing is timed. */
  observe?: StatementObserver;
}

/** SQLite's default automatic checkpoint threshold, in WAL pages. */
const AUTO_CHECKPOINT_PAGES = 1000;

/**
 * The database holds every tenant's events and the encrypted secrets: readable by its owner only.
 * SQLite gives the -wal and -shm files the database file's mode when it creates them, so the
 * database is created 0600 before SQLite opens it; files of an older install are narrowed too.
 */
function makePrivate(path: string): void {
  closeSync(openSync(path, "a", 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/** Opens (creating if needed) and migrates the embedded database. */
export async function createSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  if (opts.path !== ":memory:") makePrivate(opts.path);
  const raw = new DatabaseSync(opts.path, { timeout: opts.busyTimeoutMs ?? 5000 });
  raw.exec("PRAGMA journal_mode = WAL");
  raw.exec(`PRAGMA synchronous = ${opts.synchronous}`);
  // Migrations run before anything else uses the connection.
  await migrateToLatest(new Kysely({ dialect: createNodeSqliteDialect(raw) }));
  const db = new SqliteDb(raw, opts.observe);
  // Checkpoints (and their fsync) run on a thread of their own, not inside a COMMIT on this one.
  raw.exec("PRAGMA wal_autocheckpoint = 0");
  const checkpointer = startCheckpointer(opts.path, (e) => {
    if (raw.isOpen) raw.exec(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    opts.onCheckpointFailure?.(e);
  });
  return {
    ...createCrud(db),
    ...createSqliteQueue(db),
    ...createStatsMethods(db),
    async ping() {
      await db.get("SELECT 1 AS one");
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
