import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pg from "pg";
import { POOL_WAIT, createPgDb, observePool, withTransaction } from "../../src/store/postgres/pg-db.ts";
import { PG_URL, pgAvailable } from "../support/pg.ts";

describe("postgres: statement timing", () => {
  it("reports pool queries, transaction statements, failed ones and the wait for a connection", async (t) => {
    if (!(await pgAvailable())) return t.skip("PostgreSQL does not answer");
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    const seen: string[] = [];
    observePool(pool, (sql) => seen.push(sql));
    try {
      const db = createPgDb(pool);
      assert.equal((await db.get("SELECT ?::int AS n", [7]))?.n, 7);
      await withTransaction(pool, async (c) => {
        await c.query("SELECT 2");
      });
      await assert.rejects(pool.query("SELECT * FROM no_such_table_here"));
      assert.deepEqual(
        seen.filter((s) => s !== POOL_WAIT),
        ["SELECT $1::int AS n", "BEGIN", "SELECT 2", "COMMIT", "SELECT * FROM no_such_table_here"],
      );
      assert.equal(seen.filter((s) => s === POOL_WAIT).length, 3);
    } finally {
      await pool.end();
    }
  });
});
