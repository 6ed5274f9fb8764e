import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import type pg from "pg";
import * as cl from "../../src/store/claim.ts";
import { SqliteDb } from "../../src/store/sqlite/sqlite-db.ts";
import { createSqliteQueue } from "../../src/store/sqlite/sqlite-queue.ts";
import { pgAvailable } from "../support/pg.ts";
import {
  type Delivery,
  type SeedEndpoint,
  type SeedTables,
  T0,
  deliveryRows,
  endpointRow,
  seedPg,
  seedSqlite,
  tenantRow,
  withPgSchema,
  withSqliteFile,
} from "../support/plan-seed.ts";

// A claim reads O(rows claimed), never O(backlog): the same claim, against an endpoint with 50
// and with 50,000 due deliveries, must read about as much. No wall time is measured.
//
// SQLite (node:sqlite exposes no sqlite3_stmt_status): the claim runs on a fresh connection (a
// cold page cache) over a checkpointed file, so every page it touches is read once with read(2),
// 4 KiB each; the pages read are the growth of this process's `rchar` in /proc/self/io across the
// claim. The claimed rows lie scattered (next_attempt_at is not creation order), so each costs a
// few pages more in a larger table (its row, its event, an entry in each index): allowed per row. PostgreSQL: the shared buffers (hit + read) that EXPLAIN (ANALYZE, BUFFERS)
// reports for each statement of the claim, inside a transaction that is rolled back.

const SMALL = 50;
const LARGE = 50_000;
const plain: SeedEndpoint = { id: "ep_plain", tenant: "t0", batch: false };
const batching: SeedEndpoint = { id: "ep_batch", tenant: "t0", batch: true };

/** `n` due deliveries waiting on `endpoint`, behind 1,000 finished ones. */
function backlog(endpoint: SeedEndpoint, n: number): SeedTables {
  const done: Delivery[] = Array.from({ length: 1000 }, () => ({ endpoint, status: "succeeded", due: false, batch: null }));
  const waiting: Delivery[] = Array.from({ length: n }, () => ({ endpoint, status: "pending", due: true, batch: null }));
  const t = deliveryRows([...done, ...waiting], T0 - 3_600_000);
  return { tenants: [tenantRow("t0")], endpoints: [endpointRow(endpoint)], ...t };
}

// Four requests: four deliveries, or four batches of ten (fewer than the 50 of the small backlog).
const claimOpts = { limit: 64, leaseMs: 60_000, owner: "wrk_test", now: T0, endpointConcurrency: 4 };

const rchar = () => Number(/^rchar: (\d+)$/m.exec(readFileSync("/proc/self/io", "utf8"))![1]);

async function sqlitePagesRead(endpoint: SeedEndpoint, n: number): Promise<{ pages: number; claimed: number }> {
  let out = { pages: 0, claimed: 0 };
  await withSqliteFile(async (seed, path) => {
    seedSqlite(seed, backlog(endpoint, n));
    seed.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    seed.close();
    const raw = new DatabaseSync(path);
    try {
      const queue = createSqliteQueue(new SqliteDb(raw));
      const before = rchar();
      const claimed = await queue.claimDue(claimOpts);
      out = { pages: Math.round((rchar() - before) / 4096), claimed: claimed.length };
    } finally {
      raw.close();
    }
  });
  return out;
}

// Known before the first describe() is registered: node:test runs the file's after() hooks (and
// the leak check) once every test registered so far has finished, which a top-level await between
// two describe()s can let happen before the second is registered.
const withPostgres = await pgAvailable();

describe("sqlite: a claim reads the same whatever the backlog", { skip: !existsSync("/proc/self/io") && "needs /proc/self/io (Linux)" }, () => {
  for (const endpoint of [plain, batching]) {
    it(`${endpoint.batch ? "batching" : "non-batching"} endpoint: ${LARGE} due deliveries cost about what ${SMALL} do`, async (t) => {
      const small = await sqlitePagesRead(endpoint, SMALL);
      const large = await sqlitePagesRead(endpoint, LARGE);
      t.diagnostic(`pages read: ${small.pages} with ${SMALL} waiting, ${large.pages} with ${LARGE} (${large.claimed} claimed)`);
      assert.equal(large.claimed, small.claimed, "both claims take the same deliveries");
      assert.ok(small.claimed > 0);
      // Reading the backlog costs thousands of pages (36,116 for the batch probe before it was
      // pinned to deliveries_batch_due); scattered claimed rows cost about 6 each.
      assert.ok(large.pages <= small.pages * 2 + 10 * large.claimed, `pages read: ${small.pages} with ${SMALL} waiting, ${large.pages} with ${LARGE}`);
    });
  }
});

/** Shared buffers touched by `sql` (EXPLAIN ANALYZE runs it: call inside a transaction). */
async function buffers(c: pg.Client, sql: string, params: unknown[]): Promise<number> {
  const plan = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params)).rows[0]["QUERY PLAN"][0].Plan as Record<string, number>;
  return plan["Shared Hit Blocks"] + plan["Shared Read Blocks"];
}

/** The claim's statements, in the order claimDue runs them, against `endpoint`; buffers per statement. */
async function pgClaimBuffers(endpoint: SeedEndpoint, n: number): Promise<Record<string, number>> {
  let out: Record<string, number> = {};
  await withPgSchema(async (c) => {
    await seedPg(c, backlog(endpoint, n));
    await c.query("VACUUM ANALYZE");
    await c.query("BEGIN");
    try {
      const ids = [endpoint.id];
      out = {
        "lock due endpoints": await buffers(c, cl.DUE_ENDPOINTS.pg, [T0, []]),
        "in-flight counts": await buffers(c, cl.INFLIGHT.pg, [ids]),
        "endpoints with due batches": await buffers(c, cl.WITH_DUE_BATCHES.pg, [ids, T0]),
        "due batches": await buffers(c, cl.DUE_BATCHES.pg, [endpoint.id, T0, 16]),
        ...(endpoint.batch
          ? { unbatched: await buffers(c, cl.UNBATCHED.pg, [endpoint.id, 10]) }
          : { "due deliveries": await buffers(c, cl.CLAIM_SINGLES.pg, [ids, [16], T0, 64, "wrk_test", T0 + 60_000]) }),
      };
    } finally {
      await c.query("ROLLBACK");
    }
  });
  return out;
}

if (withPostgres) {
  describe("postgres: a claim reads the same whatever the backlog", () => {
    for (const endpoint of [plain, batching]) {
      it(`${endpoint.batch ? "batching" : "non-batching"} endpoint: ${LARGE} due deliveries cost about what ${SMALL} do`, async (t) => {
        const small = await pgClaimBuffers(endpoint, SMALL);
        const large = await pgClaimBuffers(endpoint, LARGE);
        t.diagnostic(`buffers: ${JSON.stringify(small)} with ${SMALL} waiting, ${JSON.stringify(large)} with ${LARGE}`);
        for (const name of Object.keys(small)) {
          assert.ok(large[name] <= small[name] * 2 + 16, `${name}: ${small[name]} buffers with ${SMALL} waiting, ${large[name]} with ${LARGE}`);
        }
      });
    }
  });
}
