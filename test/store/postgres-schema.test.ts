import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pg from "pg";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { createPgSchema, PG_URL, pgAvailable } from "../support/pg.ts";

// Tocsin may share a database with other applications, whose schemas come and go. Its migrator
// must look at its own schema only: Kysely's stock introspector scans every schema and failed
// with "schema … does not exist" when one was dropped during the scan.

describe("PostgreSQL schema isolation", { skip: !(await pgAvailable()) && "PostgreSQL is not available" }, () => {
  it("migrates and checks its schema while other schemas of the database are created and dropped", { timeout: 60_000 }, async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    let stop = false;
    let churned = 0;
    // Another application: schemas with a few tables each, created and dropped without pause.
    const churn = (async () => {
      for (let i = 0; !stop && i < 5_000; i++) {
        const name = `churn_${process.pid}_${i}`;
        await admin.query(`CREATE SCHEMA ${name}; CREATE TABLE ${name}.a (id serial primary key); CREATE TABLE ${name}.b (id serial primary key)`);
        await admin.query(`DROP SCHEMA ${name} CASCADE`);
        churned++;
      }
    })();
    try {
      const deadline = Date.now() + 20_000;
      let runs = 0;
      for (; runs < 12 && Date.now() < deadline; runs++) {
        const s = await createPgSchema();
        try {
          const store = await createPostgresStore({ url: s.url, poolSize: 2, schema: "apply" });
          await store.close();
          const checked = await createPostgresStore({ url: s.url, poolSize: 2, schema: "check" });
          await checked.close();
        } finally {
          await s.drop();
        }
      }
      assert.ok(runs >= 3, `only ${runs} migrations ran`);
    } finally {
      stop = true;
      await churn;
      await admin.end();
    }
    assert.ok(churned > 0, "the other schemas were churned meanwhile");
  });

  it("finds its bookkeeping in its own schema only, not in another schema of the same database", { timeout: 30_000 }, async () => {
    const a = await createPgSchema();
    const b = await createPgSchema();
    try {
      await (await createPostgresStore({ url: a.url, poolSize: 1, schema: "apply" })).close();
      // b is empty: checking it must not find a's migrations.
      await assert.rejects(createPostgresStore({ url: b.url, poolSize: 1, schema: "check" }), /behind this build/);
    } finally {
      await a.drop();
      await b.drop();
    }
  });
});
