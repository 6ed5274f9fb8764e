import { rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import pg from "pg";
import { newId } from "../../src/core/ids.ts";
import { createPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { createPgSchema } from "./pg.ts";
import { tempDir } from "./server.ts";

// A database filled the way a busy install looks, for the query-plan and backlog tests: rows go
// in with plain SQL in one transaction (tens of thousands in about a second), after the store has
// migrated the schema.

export const T0 = 1_700_000_000_000;

export type SeedRow = Record<string, string | number | null>;
export type SeedTables = Record<string, SeedRow[]>;

export interface SeedEndpoint {
  id: string;
  tenant: string;
  batch: boolean;
  enabled?: boolean;
}

export function endpointRow(e: SeedEndpoint): SeedRow {
  return {
    id: e.id,
    tenant_id: e.tenant,
    url: "http://127.0.0.1:1/x",
    name: null,
    event_types: '["*"]',
    enabled: e.enabled === false ? 0 : 1,
    secret_enc: "v1:x",
    version: 1,
    created_at: T0,
    updated_at: T0,
    validation_status: "none",
    batch_max_events: e.batch ? 10 : null,
    batch_max_wait_ms: e.batch ? 1000 : null,
  };
}

export const tenantRow = (id: string): SeedRow => ({ id, name: null, metadata: "{}", created_at: T0, updated_at: T0 });

/** Deterministic pseudo-random numbers in [0, 1), so every run seeds the same rows. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface Delivery {
  endpoint: SeedEndpoint;
  status: "pending" | "delivering" | "succeeded" | "failed";
  /** Due at T0 (pending), or later (a retry waiting). */
  due: boolean;
  batch: string | null;
}

/** Events, their deliveries, batches and attempts for `plan` (one entry per delivery, each with its own event). */
export function deliveryRows(plan: Delivery[], startAt: number, spacingMs = 10, seed = 1): SeedTables {
  const events: SeedRow[] = [];
  const deliveries: SeedRow[] = [];
  const attempts: SeedRow[] = [];
  const batches = new Map<string, SeedRow>();
  const rnd = prng(seed);
  plan.forEach((d, i) => {
    const at = startAt + i * spacingMs;
    const evId = newId("evt", at);
    events.push({
      id: evId,
      tenant_id: d.endpoint.tenant,
      type: i % 7 === 0 ? "db.down" : "cpu.high",
      severity: "warning",
      payload: `{"i":${i}}`,
      idempotency_key: null,
      created_at: at,
    });
    const id = newId("dlv", at);
    const tried = d.status !== "pending" || !d.due;
    deliveries.push({
      id,
      tenant_id: d.endpoint.tenant,
      event_id: evId,
      endpoint_id: d.endpoint.id,
      event_type: i % 7 === 0 ? "db.down" : "cpu.high",
      status: d.status,
      attempts: tried ? 1 : 0,
      next_attempt_at: d.status === "pending" ? (d.due ? T0 - 1000 + Math.floor(rnd() * 900) : T0 + 60_000 + Math.floor(rnd() * 60_000)) : null,
      lease_owner: d.status === "delivering" ? "wrk_seed" : null,
      lease_until: d.status === "delivering" ? T0 + 30_000 : null,
      created_at: at,
      updated_at: at,
      batch_id: d.batch,
      pinned_version: tried ? 1 : null,
    });
    if (d.batch !== null && !batches.has(d.batch)) {
      batches.set(d.batch, { id: d.batch, tenant_id: d.endpoint.tenant, endpoint_id: d.endpoint.id, size: 10, created_at: at });
    }
    // A batch's attempt is recorded once, under the batch id.
    if (tried && (d.batch === null || batches.get(d.batch)!.attempted === undefined)) {
      if (d.batch !== null) batches.get(d.batch)!.attempted = 1;
      attempts.push({
        id: newId("att", at),
        delivery_id: d.batch ?? id,
        tenant_id: d.endpoint.tenant,
        endpoint_id: d.endpoint.id,
        event_id: evId,
        attempt_no: 1,
        started_at: at,
        duration_ms: 5 + Math.floor(rnd() * 50),
        status_code: d.status === "succeeded" ? 200 : 503,
        error_class: d.status === "succeeded" ? null : "http_status",
        will_retry: d.status === "failed" ? 0 : 1,
        batch_id: d.batch,
      });
    }
  });
  for (const b of batches.values()) delete b.attempted;
  return { events, deliveries, attempts, batches: [...batches.values()] };
}

/**
 * The mixed data set of the plan guard: 4 tenants, 8 endpoints (2 batching, 1 disabled) and
 * 40,000 deliveries, most finished, with pending (due and waiting), in-flight and failed ones, a
 * third of the batching endpoints' deliveries in batches.
 */
export function mixedDataSet(): { tables: SeedTables; endpoints: SeedEndpoint[] } {
  const endpoints: SeedEndpoint[] = [
    { id: "ep_big", tenant: "t0", batch: false },
    { id: "ep_t0b", tenant: "t0", batch: false },
    { id: "ep_t1a", tenant: "t1", batch: false },
    { id: "ep_bat1", tenant: "t1", batch: true },
    { id: "ep_t2a", tenant: "t2", batch: false },
    { id: "ep_bat2", tenant: "t2", batch: true },
    { id: "ep_t3a", tenant: "t3", batch: false },
    { id: "ep_off", tenant: "t3", batch: false, enabled: false },
  ];
  const rnd = prng(7);
  const plan: Delivery[] = [];
  const groups = new Map<string, number>();
  for (let i = 0; i < 40_000; i++) {
    // Half of all deliveries go to one endpoint, the rest spread over the others.
    const endpoint = rnd() < 0.5 ? endpoints[0] : endpoints[1 + Math.floor(rnd() * (endpoints.length - 1))];
    if (endpoint.batch) {
      // Ten in a row form a group: every third group waits unbatched, the others are batches.
      const n = groups.get(endpoint.id) ?? 0;
      groups.set(endpoint.id, n + 1);
      const group = Math.floor(n / 10);
      if (group % 3 === 0) {
        plan.push({ endpoint, status: "pending", due: true, batch: null });
        continue;
      }
      const batch = `bat_${endpoint.id}_${group}`;
      const r = prng(group)();
      plan.push({ endpoint, status: r < 0.1 ? "pending" : r < 0.15 ? "delivering" : r < 0.85 ? "succeeded" : "failed", due: r < 0.05, batch });
      continue;
    }
    const r = rnd();
    plan.push({
      endpoint,
      status: r < 0.14 ? "pending" : r < 0.2 ? "pending" : r < 0.23 ? "delivering" : r < 0.85 ? "succeeded" : "failed",
      due: r < 0.14,
      batch: null,
    });
  }
  // A week of traffic, one delivery every 15 s.
  const tables = deliveryRows(plan, T0 - 40_000 * 15_000, 15_000);
  tables.tenants = ["t0", "t1", "t2", "t3"].map(tenantRow);
  tables.endpoints = endpoints.map(endpointRow);
  tables.endpoint_health = endpoints.map((e) => ({ endpoint_id: e.id, tenant_id: e.tenant, recent: "[]", circuit: "closed", updated_at: T0 }));
  return { tables, endpoints };
}

/** Inserts `tables` in one transaction (tables first that others refer to). */
export function seedSqlite(db: DatabaseSync, tables: SeedTables): void {
  db.exec("BEGIN");
  for (const [table, rows] of Object.entries(tables)) {
    if (rows.length === 0) continue;
    const cols = Object.keys(rows[0]);
    const st = db.prepare(`INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`);
    for (const r of rows) st.run(...cols.map((c) => r[c] as SQLInputValue));
  }
  db.exec("COMMIT");
}

export async function seedPg(c: pg.Client, tables: SeedTables): Promise<void> {
  await c.query("BEGIN");
  for (const [table, rows] of Object.entries(tables)) {
    const cols = Object.keys(rows[0] ?? {});
    for (let i = 0; i < rows.length; i += 5000) {
      await c.query(`INSERT INTO ${table} (${cols.join(", ")}) SELECT ${cols.join(", ")} FROM json_populate_recordset(NULL::${table}, $1)`, [
        JSON.stringify(rows.slice(i, i + 5000)),
      ]);
    }
  }
  await c.query("COMMIT");
}

/** A migrated SQLite database file, opened on a connection of its own (the store is closed again). */
export async function withSqliteFile(fn: (db: DatabaseSync, path: string) => Promise<void>): Promise<void> {
  const dir = tempDir("tocsin-plans-");
  const path = join(dir, "tocsin.db");
  await (await createSqliteStore({ path, synchronous: "NORMAL" })).close();
  const db = new DatabaseSync(path);
  try {
    await fn(db, path);
  } finally {
    if (db.isOpen) db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A migrated PostgreSQL schema and a client whose search_path is it. */
export async function withPgSchema(fn: (c: pg.Client, url: string) => Promise<void>): Promise<void> {
  const s = await createPgSchema();
  await (await createPostgresStore({ url: s.url, poolSize: 1, schema: "apply" })).close();
  const c = new pg.Client({ connectionString: s.url });
  await c.connect();
  try {
    await fn(c, s.url);
  } finally {
    await c.end();
    await s.drop();
  }
}
