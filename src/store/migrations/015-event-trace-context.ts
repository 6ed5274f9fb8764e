import type { Kysely } from "kysely";

// Expand-only: a nullable column. The W3C trace context (`traceparent`, then `tracestate` after a
// newline) of the ingest span that stored the event, when tracing is on; the worker links each
// attempt's span to it. Null for events stored with tracing off and for rows of older builds.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("events").addColumn("trace_context", "text").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("events").dropColumn("trace_context").execute();
}
