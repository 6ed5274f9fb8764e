import { type Kysely, sql } from "kysely";

// Expand-only: nullable columns and a partial index for flap damping (core/flapping.ts), per
// (endpoint, alert) on the row that ingest already reads and writes for every alert event.
// - alert_sends.flap_starts: when the alert opened, as this endpoint saw it, as a JSON array of
//   epoch ms, the last transitions + 2 only; null while the endpoint has no flapping setting.
// - alert_sends.flapping_until: the end of the row's latest flapping hold (epoch ms), moved with
//   every start or end while held; null when the alert has not flapped since its last release.
// The index holds only rows that have flapped, for the metrics count of alerts flapping now.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("alert_sends").addColumn("flap_starts", "text").execute();
  await db.schema.alterTable("alert_sends").addColumn("flapping_until", "bigint").execute();
  await db.schema.createIndex("alert_sends_flapping").on("alert_sends").column("flapping_until").where(sql.ref("flapping_until"), "is not", null).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("alert_sends_flapping").execute();
  await db.schema.alterTable("alert_sends").dropColumn("flapping_until").execute();
  await db.schema.alterTable("alert_sends").dropColumn("flap_starts").execute();
}
