import { type Kysely, sql } from "kysely";

// Expand-only: a new partial index; nothing an older build relies on changes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  // The pending deliveries that no batch holds, per endpoint, oldest first with ties in id order:
  // what a batching endpoint's claim puts into its next batch and what ingest counts to find full
  // batches. Read in index order, those statements stop after one batch's worth of rows, however
  // many wait; without it they read and sort the endpoint's whole backlog.
  await db.schema
    .createIndex("deliveries_unbatched")
    .on("deliveries")
    .columns(["endpoint_id", "next_attempt_at", "id"])
    .where(sql.ref("status"), "=", "pending")
    .where(sql.ref("batch_id"), "is", null)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("deliveries_unbatched").execute();
}
