import type { Kysely } from "kysely";

// Expand-only: a nullable column. The endpoint's filter (settings.filter) as JSON text, kept beside
// the settings document so that fan-out reads it with the endpoint's row and an endpoint without a
// filter costs nothing more than before. Null: no filter, as for every row of older builds.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("endpoints").addColumn("filter", "text").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("endpoints").dropColumn("filter").execute();
}
