import { randomBytes } from "node:crypto";
import pg from "pg";

export const PG_URL = process.env.TOCSIN_TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

let available: Promise<boolean> | null = null;

/**
 * Whether PostgreSQL answers at TOCSIN_TEST_DATABASE_URL. Without it, PostgreSQL tests are skipped
 * with a visible message, except under CI=true, where a missing database is a failure.
 */
export function pgAvailable(): Promise<boolean> {
  available ??= (async () => {
    // A server that is not there refuses at once; the generous timeout only covers a loaded
    // machine (a 3 s timeout failed a CI run while every core was busy).
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 20_000 });
    try {
      await c.connect();
      await c.query("SELECT 1");
      return true;
    } catch (e) {
      if (process.env.CI === "true") throw new Error(`PostgreSQL is required in CI but ${PG_URL} does not answer: ${(e as Error).message}`);
      console.log(`# PostgreSQL at ${PG_URL} does not answer (${(e as Error).message}): PostgreSQL tests are SKIPPED`);
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  })();
  return available;
}

/** A URL whose connections use a fresh schema; `drop()` removes it and everything in it. */
export async function createPgSchema(): Promise<{ url: string; schema: string; drop(): Promise<void> }> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: u.toString(),
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}
