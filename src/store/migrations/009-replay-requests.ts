import { type Kysely, PostgresAdapter, sql } from "kysely";

// Expand-only: nullable columns, and endpoint_id may be null. A replay job is identified by the
// request as it was made (a start of "1h" ago is the same request an hour later), and a job may
// retry the failed deliveries of every endpoint of a tenant, optionally of one event type family.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on today's schema types
function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

const COLUMNS =
  "id, tenant_id, endpoint_id, since, until, until_given, scope, state, total, processed, queued, skipped, position, created_at, updated_at, finished_at";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see isPostgres
export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    // Runs in the migrator's transaction.
    await sql`ALTER TABLE replays ALTER COLUMN endpoint_id DROP NOT NULL`.execute(db);
    await addColumns(db);
    return;
  }
  // SQLite cannot drop a NOT NULL constraint in place: the table is rebuilt (it holds jobs of the
  // retention period only), in one transaction since the migrator runs SQLite migrations without.
  await db.transaction().execute(async (tx) => {
    await sql`CREATE TABLE replays_new (
      id text PRIMARY KEY,
      tenant_id text NOT NULL,
      endpoint_id text,
      since bigint NOT NULL,
      until bigint NOT NULL,
      until_given integer NOT NULL DEFAULT 1,
      scope text NOT NULL,
      state text NOT NULL,
      total integer NOT NULL,
      processed integer NOT NULL DEFAULT 0,
      queued integer NOT NULL DEFAULT 0,
      skipped integer NOT NULL DEFAULT 0,
      position text,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      finished_at bigint
    )`.execute(tx);
    await sql.raw(`INSERT INTO replays_new (${COLUMNS}) SELECT ${COLUMNS} FROM replays`).execute(tx);
    await sql`DROP TABLE replays`.execute(tx);
    await sql`ALTER TABLE replays_new RENAME TO replays`.execute(tx);
    await tx.schema.createIndex("replays_tenant").on("replays").columns(["tenant_id", "id"]).execute();
    await tx.schema.createIndex("replays_same").on("replays").columns(["endpoint_id", "since", "scope", "created_at"]).execute();
    await tx.schema.createIndex("replays_running").on("replays").columns(["id"]).where(sql.ref("state"), "=", "running").execute();
    await addColumns(tx);
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see isPostgres
async function addColumns(db: Kysely<any>): Promise<void> {
  // The start and end as the request gave them when they were durations before it ("1h"); null
  // for a date-time (matched by its time) or an omitted end.
  await db.schema.alterTable("replays").addColumn("since_ago", "text").execute();
  await db.schema.alterTable("replays").addColumn("until_ago", "text").execute();
  // Only deliveries of this event type (`prefix.*` for a family); null: every type.
  await db.schema.alterTable("replays").addColumn("event_type", "text").execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see isPostgres
export async function down(db: Kysely<any>): Promise<void> {
  // Jobs of no single endpoint cannot be kept by the older schema.
  await sql`DELETE FROM replays WHERE endpoint_id IS NULL`.execute(db);
  for (const c of ["event_type", "until_ago", "since_ago"]) await db.schema.alterTable("replays").dropColumn(c).execute();
  if (isPostgres(db)) await sql`ALTER TABLE replays ALTER COLUMN endpoint_id SET NOT NULL`.execute(db);
}
