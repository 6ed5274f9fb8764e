import type { Kysely } from "kysely";

// Expand-only: nullable columns that older builds ignore. Attempts recorded before this migration
// (and attempts whose transform failed, so that nothing was sent) have no request.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  // The request as sent: JSON {method, url, headers, bodyBytes}, credentials redacted.
  await db.schema.alterTable("attempts").addColumn("request", "text").execute();
  // Its body, cut to the attempt log's limit (bodyBytes above is the whole size).
  await db.schema.alterTable("attempts").addColumn("request_body", "text").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("attempts").dropColumn("request_body").execute();
  await db.schema.alterTable("attempts").dropColumn("request").execute();
}
