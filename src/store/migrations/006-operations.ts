import { type Kysely, sql } from "kysely";

// Expand-only: new tables and nullable columns that older builds ignore.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  // One row per endpoint that has had an attempt (or a rate limit): its health, its circuit and
  // its rate-limit bucket. Written under the endpoint row's lock on PostgreSQL (claims hold it;
  // completions take it), so every process sees one consistent circuit.
  await db.schema
    .createTable("endpoint_health")
    .addColumn("endpoint_id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("consecutive_failures", "integer", (c) => c.notNull().defaultTo(0))
    // The latest attempts as a JSON array of epoch ms, negative for a failure (bounded in length).
    .addColumn("recent", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("last_success_at", "bigint")
    .addColumn("last_failure_at", "bigint")
    .addColumn("last_failure_reason", "text")
    // The first failure since the last success; the auto-disable clock runs from it.
    .addColumn("failing_since", "bigint")
    // 'closed', 'open' (nothing is sent until circuit_until) or 'half_open' (one probe at a time).
    .addColumn("circuit", "text", (c) => c.notNull().defaultTo("closed"))
    .addColumn("circuit_until", "bigint")
    // Failed probes in a row; the cool-down doubles with each.
    .addColumn("trips", "integer", (c) => c.notNull().defaultTo(0))
    // The delivery (or batch) sent as the half-open circuit's probe.
    .addColumn("probe_id", "text")
    .addColumn("tokens", "double precision")
    .addColumn("tokens_at", "bigint")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("endpoint_health_tenant").on("endpoint_health").columns(["tenant_id"]).execute();

  // Rate limit per endpoint (also in settings, copied here so a claim need not parse them).
  await db.schema.alterTable("endpoints").addColumn("rate_per_sec", "double precision").execute();
  await db.schema.alterTable("endpoints").addColumn("rate_burst", "integer").execute();

  // Replay jobs: re-send an endpoint's events of a time range, resumable from `position`.
  await db.schema
    .createTable("replays")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("endpoint_id", "text", (c) => c.notNull())
    .addColumn("since", "bigint", (c) => c.notNull())
    .addColumn("until", "bigint", (c) => c.notNull())
    // 0: the request gave no end, and `until` is when it was made (such requests match each other).
    .addColumn("until_given", "integer", (c) => c.notNull().defaultTo(1))
    // 'failed' or 'all'
    .addColumn("scope", "text", (c) => c.notNull())
    // 'running', 'completed', 'cancelled' (the endpoint was deleted)
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("total", "integer", (c) => c.notNull())
    .addColumn("processed", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("queued", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("skipped", "integer", (c) => c.notNull().defaultTo(0))
    // The last event id handled; the next step starts after it.
    .addColumn("position", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("finished_at", "bigint")
    .execute();
  await db.schema.createIndex("replays_tenant").on("replays").columns(["tenant_id", "id"]).execute();
  // The same replay asked for again within a day is the same job (looked up by this index).
  await db.schema.createIndex("replays_same").on("replays").columns(["endpoint_id", "since", "scope", "created_at"]).execute();
  await db.schema.createIndex("replays_running").on("replays").columns(["id"]).where(sql.ref("state"), "=", "running").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("replays").execute();
  await db.schema.alterTable("endpoints").dropColumn("rate_burst").execute();
  await db.schema.alterTable("endpoints").dropColumn("rate_per_sec").execute();
  await db.schema.dropTable("endpoint_health").execute();
}
