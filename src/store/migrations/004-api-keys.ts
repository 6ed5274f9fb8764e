import type { Kysely } from "kysely";

// Expand-only: a new table that older builds never read.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
export async function up(db: Kysely<any>): Promise<void> {
  // Admin keys (tenant_id NULL), tenant keys and portal sessions. Only the SHA-256 of a key is
  // kept: keys are 256 random bits, so a fast unsalted hash cannot be reversed or guessed.
  await db.schema
    .createTable("api_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("tenant_id", "text")
    .addColumn("name", "text")
    // JSON array of scopes.
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addColumn("prefix", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint")
    .addColumn("revoked_at", "bigint")
    .addColumn("last_used_at", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  // Every authenticated request looks its key up by hash.
  await db.schema.createIndex("api_keys_hash").on("api_keys").column("hash").unique().execute();
  await db.schema.createIndex("api_keys_tenant").on("api_keys").columns(["tenant_id", "id"]).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("api_keys").execute();
}
