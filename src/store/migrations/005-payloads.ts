import { type Kysely, sql } from "kysely";

// Expand-only: new nullable columns and new tables that older builds ignore.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  // Alert lifecycle. An event with a fingerprint updates the alert (tenant, fingerprint); the
  // event row keeps the alert as it stood at that event, so its body never depends on later ones.
  const eventColumns: [string, "text" | "bigint" | "integer"][] = [
    ["fingerprint", "text"],
    ["state", "text"],
    ["alert_started_at", "bigint"],
    ["update_count", "integer"],
  ];
  for (const [name, type] of eventColumns) await db.schema.alterTable("events").addColumn(name, type).execute();

  await db.schema
    .createTable("alerts")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    // 'open' (after start or ongoing) or 'resolved' (after end).
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("started_at", "bigint", (c) => c.notNull())
    .addColumn("ended_at", "bigint")
    .addColumn("update_count", "integer", (c) => c.notNull())
    .addColumn("last_event_id", "text", (c) => c.notNull())
    .addColumn("last_event_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("alerts_pk", ["tenant_id", "fingerprint"])
    .execute();
  await db.schema.createIndex("alerts_last_event").on("alerts").columns(["last_event_at"]).execute();

  // When each endpoint was last sent an update of each alert (the ongoing throttle).
  await db.schema
    .createTable("alert_sends")
    .addColumn("endpoint_id", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("last_sent_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("alert_sends_pk", ["endpoint_id", "fingerprint"])
    .execute();
  await db.schema.createIndex("alert_sends_tenant").on("alert_sends").columns(["tenant_id", "fingerprint"]).execute();

  // The settings of every endpoint version, so that a delivery's body follows the version pinned
  // on it at its first attempt, whatever changed since.
  await db.schema
    .createTable("endpoint_versions")
    .addColumn("endpoint_id", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("settings", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("endpoint_versions_pk", ["endpoint_id", "version"])
    .execute();

  await db.schema.alterTable("deliveries").addColumn("pinned_version", "integer").execute();

  // Batching: a batch is formed from an endpoint's pending deliveries at claim time; its members
  // share one request (webhook-id = the batch id), one lease, one state and one attempt history.
  await db.schema.alterTable("deliveries").addColumn("batch_id", "text").execute();
  await db.schema.alterTable("attempts").addColumn("batch_id", "text").execute();
  await db.schema.alterTable("endpoints").addColumn("batch_max_events", "integer").execute();
  await db.schema.alterTable("endpoints").addColumn("batch_max_wait_ms", "bigint").execute();
  await db.schema
    .createTable("batches")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("endpoint_id", "text", (c) => c.notNull())
    .addColumn("size", "integer", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("batches_tenant").on("batches").columns(["tenant_id", "id"]).execute();
  await db.schema.createIndex("deliveries_batch").on("deliveries").columns(["batch_id"]).where(sql.ref("batch_id"), "is not", null).execute();
  // Due batches (retries) per endpoint, without reading the unbatched pending rows.
  await db.schema
    .createIndex("deliveries_batch_due")
    .on("deliveries")
    .columns(["endpoint_id", "next_attempt_at"])
    .where(sql.ref("batch_id"), "is not", null)
    .where(sql.ref("status"), "=", "pending")
    .execute();
  await db.schema.createIndex("attempts_batch").on("attempts").columns(["batch_id", "attempt_no"]).where(sql.ref("batch_id"), "is not", null).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("attempts_batch").execute();
  await db.schema.dropIndex("deliveries_batch_due").execute();
  await db.schema.dropIndex("deliveries_batch").execute();
  for (const t of ["batches", "endpoint_versions", "alert_sends", "alerts"]) await db.schema.dropTable(t).execute();
  await db.schema.alterTable("endpoints").dropColumn("batch_max_wait_ms").execute();
  await db.schema.alterTable("endpoints").dropColumn("batch_max_events").execute();
  await db.schema.alterTable("attempts").dropColumn("batch_id").execute();
  await db.schema.alterTable("deliveries").dropColumn("batch_id").execute();
  await db.schema.alterTable("deliveries").dropColumn("pinned_version").execute();
  for (const name of ["update_count", "alert_started_at", "state", "fingerprint"]) await db.schema.alterTable("events").dropColumn(name).execute();
}
