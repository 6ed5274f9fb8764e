import type { Logger } from "pino";
import type { Config } from "./config.ts";
import type { DataDir } from "./data-dir.ts";
import { createSqliteStore } from "./store/sqlite/sqlite-store.ts";
import type { StatementObserver } from "./store/statement-observer.ts";
import type { Store } from "./store/store.ts";

// Opening the configured database, apart from the server's assembly in main.ts, so that the
// commands that only need the store ('tocsin migrate', 'tocsin keys rotate-master') do not load
// the API, the delivery engine and their dependencies.

/** How to open the store: see openStore. */
export interface StoreOptions {
  /** PostgreSQL: `apply` runs pending migrations, `check` refuses a schema other than this build's. SQLite always migrates. */
  schema: "apply" | "check";
  /** PostgreSQL's connection pool. */
  poolSize: number;
  /** Told about lost connections and a stopped WAL checkpoint; without it they pass silently. */
  logger?: Logger;
  observe?: StatementObserver;
}

/**
 * Opens the configured database: PostgreSQL at TOCSIN_DATABASE_URL, else the embedded SQLite
 * database of `dir`, the data folder, whose lock the caller holds. The server opens it through
 * openBackend (main.ts); 'tocsin migrate' and 'tocsin keys rotate-master' call this directly.
 */
export async function openStore(config: Readonly<Config>, dir: DataDir | null, o: StoreOptions): Promise<Store> {
  const logger = o.logger;
  if (config.databaseUrl) {
    // Loaded only here: pg and the PostgreSQL store stay out of a process serving SQLite.
    const { createPostgresStore } = await import("./store/postgres/postgres-store.ts");
    return createPostgresStore({
      url: config.databaseUrl,
      poolSize: o.poolSize,
      schema: o.schema,
      onError: logger ? (e) => logger.warn({ err: e.message }, "database connection lost; reconnecting") : undefined,
      observe: o.observe,
    });
  }
  if (!dir) throw new Error("the embedded SQLite database needs its data folder");
  return createSqliteStore({
    path: dir.dbPath,
    synchronous: config.sqliteSynchronous,
    maxBytes: config.sqliteMaxBytes,
    onCheckpointFailure: logger
      ? (e) => logger.warn({ err: e.message }, "the background WAL checkpoint stopped; SQLite checkpoints automatically instead")
      : undefined,
    onCheckpointStall: logger
      ? (message) =>
          message === null
            ? logger.info("WAL checkpoints work again; the WAL's disk space is given back")
            : logger.error({ err: message }, "WAL checkpoints fail (is the disk full?); retried every second while the WAL grows")
      : undefined,
    observe: o.observe,
  });
}
