import type { Kysely } from "kysely";
import { Migrator } from "kysely/migration";
import { migrationProvider, migrations } from "./migrations/index.ts";
import { coerceError } from "../core/errors.ts";

/**
 * Kysely's migrator, with its bookkeeping tables in `schema` (PostgreSQL's current schema):
 * without it, Kysely looks for them in every schema and could find another installation's.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema
function migrator(db: Kysely<any>, schema?: string): Migrator {
  return new Migrator({ db, provider: migrationProvider, ...(schema ? { migrationTableSchema: schema } : {}) });
}

/** Applies every pending migration (Kysely takes a lock, so several processes may run this at once). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema
export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<string[]> {
  const { error, results } = await migrator(db, schema).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`Database migration ${failed ?? ""} failed and was rolled back: ${coerceError(error).message}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/**
 * Refuses to start against a schema this build does not match: behind (run `tocsin migrate`) or
 * ahead (a newer build migrated it; upgrade this one). Processes already running keep working
 * through an upgrade because migrations are expand-then-contract (see docs/scaling.md).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
export async function checkSchema(db: Kysely<any>, schema?: string): Promise<void> {
  const all = await migrator(db, schema).getMigrations();
  const pending = all.filter((m) => m.executedAt === undefined).map((m) => m.name);
  if (pending.length) {
    throw new Error(`The database schema is behind this build (missing ${pending.join(", ")}): run 'tocsin migrate' first.`);
  }
  const known = new Set(Object.keys(migrations));
  const applied = await (schema ? db.withSchema(schema) : db).selectFrom("kysely_migration").select("name").execute();
  const unknown = applied.map((r) => r.name as string).filter((n) => !known.has(n));
  if (unknown.length) {
    throw new Error(`The database schema is ahead of this build (it has ${unknown.join(", ")}): upgrade Tocsin on this machine.`);
  }
}
