import type { Kysely } from "kysely";

// Expand-only: nullable columns for the alert controls (silences, maintenance windows, digests,
// flap damping).
// - deliveries.reason: why a delivery was not sent as usual, as JSON
//   ({"code": "silenced" | "folded" | "flapping", "message", "silenceId"?, "digestId"?}); null for
//   an ordinary delivery. A delivery with status 'suppressed' always has one.
// - alert_sends.held: the hold on this endpoint's sends of this alert (the same JSON), null when
//   none; alert_sends.last_sent_state: the alert state last actually queued for this endpoint
//   (start, ongoing or end), null when none was.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("deliveries").addColumn("reason", "text").execute();
  await db.schema.alterTable("alert_sends").addColumn("held", "text").execute();
  await db.schema.alterTable("alert_sends").addColumn("last_sent_state", "text").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("alert_sends").dropColumn("last_sent_state").execute();
  await db.schema.alterTable("alert_sends").dropColumn("held").execute();
  await db.schema.alterTable("deliveries").dropColumn("reason").execute();
}
