import { type Kysely, sql } from "kysely";

// Expand-only: nullable columns and a partial index; nothing an older build relies on changes.
// - endpoints.fallback_endpoint_id: the endpoint of the same tenant that takes this endpoint's
//   deliveries while its circuit is open or it was disabled for failing (null: none).
// - deliveries.sent_to_endpoint_id: set when the delivery's latest attempt went (or is going) to
//   its endpoint's fallback; null when it went to its own endpoint or none was made.
// - attempts.sent_to_endpoint_id: the fallback endpoint an attempt was sent to; null: the
//   delivery's own endpoint.
// - deliveries_sent_to: the deliveries in flight to a fallback, per fallback endpoint, so that a
//   claim counts them against that endpoint's concurrency cap by reading only those rows (not
//   every in-flight delivery: the queue statistics keep reading deliveries_leased).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("endpoints").addColumn("fallback_endpoint_id", "text").execute();
  await db.schema.alterTable("deliveries").addColumn("sent_to_endpoint_id", "text").execute();
  await db.schema.alterTable("attempts").addColumn("sent_to_endpoint_id", "text").execute();
  await db.schema
    .createIndex("deliveries_sent_to")
    .on("deliveries")
    .columns(["sent_to_endpoint_id"])
    .where(sql.ref("status"), "=", "delivering")
    .where(sql.ref("sent_to_endpoint_id"), "is not", null)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("deliveries_sent_to").execute();
  await db.schema.alterTable("attempts").dropColumn("sent_to_endpoint_id").execute();
  await db.schema.alterTable("deliveries").dropColumn("sent_to_endpoint_id").execute();
  await db.schema.alterTable("endpoints").dropColumn("fallback_endpoint_id").execute();
}
