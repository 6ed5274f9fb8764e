import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { Kysely } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { migrationProvider } from "../../src/store/migrations/index.ts";
import { SchemaPostgresDialect } from "../../src/store/postgres/schema-dialect.ts";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { createNodeSqliteDialect } from "../../src/store/sqlite/node-sqlite-dialect.ts";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { testBackends } from "../support/backends.ts";
import { createPgSchema } from "../support/pg.ts";
import { tempDir } from "../support/server.ts";

// Migration 009 lets a replay job have no endpoint (SQLite rebuilds the table for it): a database
// with jobs made before it keeps them, and takes jobs of every endpoint after it.

const T0 = Date.UTC(2026, 11, 1);
const OLD_JOB = `INSERT INTO replays (id, tenant_id, endpoint_id, since, until, until_given, scope, state, total, processed, queued, skipped, position,
  created_at, updated_at, finished_at) VALUES ('rpl_old', 'acme', 'ep_old', ${T0 - 3_600_000}, ${T0}, 0, 'failed', 'completed', 2, 2, 2, 0, 'dlv_x',
  ${T0}, ${T0}, ${T0})`;
const TENANT = `INSERT INTO tenants (id, name, metadata, created_at, updated_at) VALUES ('acme', NULL, '{}', ${T0}, ${T0})`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema
async function migrateTo008(db: Kysely<any>, schema?: string): Promise<void> {
  const r = await new Migrator({ db, provider: migrationProvider, ...(schema ? { migrationTableSchema: schema } : {}) }).migrateTo("008-unbatched-index");
  assert.equal(r.error, undefined);
}

/** A database at migration 008 holding one finished job, then opened (and migrated) as a store. */
async function withUpgradedStore(backend: string, fn: (store: Store) => Promise<void>): Promise<void> {
  if (backend === "sqlite") {
    const dir = tempDir("tocsin-migrate-");
    const path = join(dir, "tocsin.db");
    const raw = new DatabaseSync(path);
    try {
      await migrateTo008(new Kysely({ dialect: createNodeSqliteDialect(raw) }));
      raw.exec(TENANT);
      raw.exec(OLD_JOB);
    } finally {
      raw.close();
    }
    const store = await createSqliteStore({ path, synchronous: "NORMAL" });
    try {
      await fn(store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const s = await createPgSchema();
  const pool = new pg.Pool({ connectionString: s.url, max: 1 });
  try {
    await migrateTo008(new Kysely({ dialect: new SchemaPostgresDialect({ pool }, s.schema) }), s.schema);
    await pool.query(TENANT);
    await pool.query(OLD_JOB);
  } finally {
    await pool.end();
  }
  const store = await createPostgresStore({ url: s.url, poolSize: 2, schema: "apply" });
  try {
    await fn(store);
  } finally {
    await store.close();
    await s.drop();
  }
}

for (const backend of await testBackends()) {
  describe(`migration 009: replay requests (${backend})`, () => {
    it("keeps the jobs made before it, and then takes a job of every endpoint", async () => {
      await withUpgradedStore(backend, async (store) => {
        const old = await store.getReplay("acme", "rpl_old");
        assert.deepEqual(old && [old.endpointId, old.eventType, old.sinceAgo, old.untilAgo, old.state, old.queued], [
          "ep_old",
          null,
          null,
          null,
          "completed",
          2,
        ]);
        const now = T0 + 60_000;
        const req = { tenantId: "acme", endpointId: null, eventType: "a.*", since: 0, until: now, untilGiven: false, sinceAgo: null, untilAgo: null };
        const made = await store.createReplay({ ...req, scope: "failed" }, now, 86_400_000);
        assert.equal(made?.created, true);
        assert.deepEqual([made?.replay.endpointId, made?.replay.eventType, made?.replay.state], [null, "a.*", "completed"]);
        const again = await store.createReplay({ ...req, until: now + 1000, scope: "failed" }, now + 1000, 86_400_000);
        assert.deepEqual([again?.created, again?.replay.id], [false, made?.replay.id]);
      });
    });
  });
}
