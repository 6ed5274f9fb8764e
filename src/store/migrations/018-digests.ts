import type { Kysely } from "kysely";

// Digests: per endpoint, the events of one group key (the alert's fingerprint, or a payload
// value) within a window go as one delivery at once and one digest at the window's end.
// - endpoints.digest: the endpoint's digest setting as JSON, beside its row so that fan-out reads
//   it with the endpoint; null (every row of older builds): no digest.
// - digest_windows: the open (or last) window per (endpoint, group key): its bounds and the digest
//   (a batch, dig_ id) that the window's folded events joined, null while none was folded.
// - batches.group_by, group_key, folded, window_start, window_end: set for a digest, null for a batch formed
//   by batching. `folded` counts every event folded in the window, also those the digest does not
//   list (beyond the endpoint's digest.maxEvents); `size` counts the listed ones.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("endpoints").addColumn("digest", "text").execute();
  await db.schema
    .createTable("digest_windows")
    .addColumn("endpoint_id", "text", (c) => c.notNull())
    .addColumn("group_key", "text", (c) => c.notNull())
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("window_start", "bigint", (c) => c.notNull())
    .addColumn("window_end", "bigint", (c) => c.notNull())
    .addColumn("digest_id", "text")
    .addPrimaryKeyConstraint("digest_windows_pk", ["endpoint_id", "group_key"])
    .execute();
  // The retention purge removes windows that ended long ago.
  await db.schema.createIndex("digest_windows_end").on("digest_windows").columns(["window_end"]).execute();
  await db.schema.alterTable("batches").addColumn("group_by", "text").execute();
  await db.schema.alterTable("batches").addColumn("group_key", "text").execute();
  await db.schema.alterTable("batches").addColumn("folded", "integer").execute();
  await db.schema.alterTable("batches").addColumn("window_start", "bigint").execute();
  await db.schema.alterTable("batches").addColumn("window_end", "bigint").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const c of ["window_end", "window_start", "folded", "group_key", "group_by"]) await db.schema.alterTable("batches").dropColumn(c).execute();
  await db.schema.dropIndex("digest_windows_end").execute();
  await db.schema.dropTable("digest_windows").execute();
  await db.schema.alterTable("endpoints").dropColumn("digest").execute();
}
