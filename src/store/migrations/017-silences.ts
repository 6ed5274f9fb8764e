import { type Kysely, sql } from "kysely";

// Expand-only: a new table and two new indexes.
// - silences: one row per silence of a tenant (core/silences.ts). matchers is the filter as JSON
//   text; endpoint_ids a JSON array of endpoint ids, null for the whole tenant; schedule the weekly
//   windows as JSON, null for a one-off silence; ends_at null only for a recurring silence without
//   an end; created_by the author as JSON ({kind, keyId, name}); suppressed counts the deliveries it
//   suppressed (added to at ingest). Expired silences are kept, so they stay listed.
// - silences_live (tenant_id, ends_at): the one read each ingest makes, the tenant's silences
//   that have not ended (ends_at null or after now).
// - alert_sends_held: the rows whose sends are held, in the order the release job walks them;
//   partial, so it holds only those and the job's read costs nothing while nothing is held.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("silences")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("matchers", "text", (c) => c.notNull())
    .addColumn("endpoint_ids", "text")
    .addColumn("starts_at", "bigint", (c) => c.notNull())
    .addColumn("ends_at", "bigint")
    .addColumn("schedule", "text")
    .addColumn("comment", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expired_early", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("suppressed", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex("silences_live").on("silences").columns(["tenant_id", "ends_at"]).execute();
  await db.schema.createIndex("silences_tenant").on("silences").columns(["tenant_id", "id"]).execute();
  await db.schema.createIndex("alert_sends_held").on("alert_sends").columns(["endpoint_id", "fingerprint"]).where(sql.ref("held"), "is not", null).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("alert_sends_held").execute();
  await db.schema.dropTable("silences").execute();
}
