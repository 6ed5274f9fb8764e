import { type Kysely, sql } from "kysely";

// Expand-only: new indexes; nothing an older build relies on changes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  // Delivery lists filtered by status or endpoint (the console's log, `tocsin deliveries`).
  await db.schema.createIndex("deliveries_tenant_status").on("deliveries").columns(["tenant_id", "status", "id"]).execute();
  await db.schema.createIndex("deliveries_tenant_endpoint").on("deliveries").columns(["tenant_id", "endpoint_id", "id"]).execute();
  // Pending deliveries only: finding the endpoints with due work skips from endpoint to endpoint
  // over this small index instead of probing every endpoint.
  await db.schema
    .createIndex("deliveries_pending")
    .on("deliveries")
    .columns(["endpoint_id", "next_attempt_at"])
    .where(sql.ref("status"), "=", "pending")
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const name of ["deliveries_pending", "deliveries_tenant_endpoint", "deliveries_tenant_status"]) {
    await db.schema.dropIndex(name).execute();
  }
}
