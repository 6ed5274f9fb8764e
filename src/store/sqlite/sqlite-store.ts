import { DatabaseSync } from "node:sqlite";
import { Kysely } from "kysely";
import { createCrud } from "../crud.ts";
import { migrateToLatest } from "../migrate.ts";
import type { Store } from "../store.ts";
import { createNodeSqliteDialect } from "./node-sqlite-dialect.ts";
import { SqliteDb } from "./sqlite-db.ts";
import { createSqliteQueue } from "./sqlite-queue.ts";

export interface SqliteStoreOptions {
  path: string;
  synchronous: "NORMAL" | "FULL";
  busyTimeoutMs?: number;
}

/** Opens (creating if needed) and migrates the embedded database. */
export async function createSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const raw = new DatabaseSync(opts.path, { timeout: opts.busyTimeoutMs ?? 5000 });
  raw.exec("PRAGMA journal_mode = WAL");
  raw.exec(`PRAGMA synchronous = ${opts.synchronous}`);
  // Migrations run before anything else uses the connection.
  await migrateToLatest(new Kysely({ dialect: createNodeSqliteDialect(raw) }));
  const db = new SqliteDb(raw);
  return {
    ...createCrud(db),
    ...createSqliteQueue(db),
    async ping() {
      await db.get("SELECT 1 AS one");
    },
    async close() {
      await db.exclusive(() => raw.close());
    },
    async subscribeDue() {
      return async () => {};
    },
  };
}
