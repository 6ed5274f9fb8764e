import { Kysely } from "kysely";
import pg from "pg";
import { createCrud } from "../crud.ts";
import { createStatsMethods } from "../stats.ts";
import { checkSchema, migrateToLatest } from "../migrate.ts";
import { SchemaPostgresDialect } from "./schema-dialect.ts";
import type { Store } from "../store.ts";
import { createPgDb, observePool, translate } from "./pg-db.ts";
import type { StatementObserver } from "../statement-observer.ts";
import { DUE_CHANNEL } from "../ingest.ts";
import { createPostgresQueue } from "./postgres-queue.ts";
import { coerceError } from "../../core/errors.ts";

// BIGINT (epoch milliseconds) as a JavaScript number: exact up to 2^53, i.e. until year 287396.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface PostgresStoreOptions {
  url: string;
  /** Connections in this process's pool. */
  poolSize: number;
  /** `apply`: run pending migrations; `check`: refuse to start unless the schema matches this build. */
  schema: "apply" | "check";
  /** Connection errors on idle clients (the pool replaces them); never fatal. */
  onError?: (err: Error) => void;
  /** Told every statement's SQL text and run time (statement profiling); none: nothing is timed. */
  observe?: StatementObserver;
}

export async function createPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    application_name: "tocsin",
  });
  pool.on("error", (e) => opts.onError?.(e));
  if (opts.observe) observePool(pool, opts.observe);
  try {
    const current = (await pool.query("SELECT current_schema() AS s")).rows[0]?.s as string | undefined;
    if (!current) throw new Error("PostgreSQL has no current schema: check search_path for the Tocsin role");
    const kysely = new Kysely({ dialect: new SchemaPostgresDialect({ pool }, current) });
    if (opts.schema === "apply") await migrateToLatest(kysely, current);
    else await checkSchema(kysely, current);
  } catch (e) {
    await pool.end();
    throw e;
  }
  const db = createPgDb(pool);
  let closed = false;
  return {
    ...createCrud(db),
    ...createPostgresQueue(pool),
    ...createStatsMethods(db),
    async ping() {
      try {
        await pool.query("SELECT 1");
      } catch (e) {
        translate(e);
      }
    },
    async blockedWrites() {
      // The server reports a full disk when a write needs room; without writing, that it answers is what can be told.
      try {
        await pool.query("SELECT 1");
        return null;
      } catch (e) {
        return coerceError(e).message;
      }
    },
    async close() {
      closed = true;
      await pool.end();
    },
    async subscribeDue(listener) {
      // One dedicated connection LISTENs; on loss it reconnects with backoff while polling covers the gap.
      let client: pg.Client | null = null;
      let stopped = false;
      let delay = 500;
      const connect = async (): Promise<void> => {
        if (stopped || closed) return;
        const c = new pg.Client({ connectionString: opts.url, application_name: "tocsin-listen" });
        let retried = false;
        const retry = () => {
          if (retried || stopped || closed) return;
          retried = true;
          client = null;
          setTimeout(() => void connect(), delay).unref();
          delay = Math.min(delay * 2, 10_000);
        };
        c.on("notification", () => listener());
        c.on("error", (e) => opts.onError?.(e));
        c.on("end", retry);
        try {
          await c.connect();
          await c.query(`LISTEN ${DUE_CHANNEL}`);
          client = c;
          delay = 500;
          listener(); // catch up on anything made due while not listening
        } catch (e) {
          opts.onError?.(coerceError(e));
          retry();
          await c.end().catch(() => undefined);
        }
      };
      await connect();
      return async () => {
        stopped = true;
        await client?.end().catch(() => undefined);
      };
    },
  };
}
