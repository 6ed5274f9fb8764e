import type { Kysely } from "kysely";
import { Migrator } from "kysely/migration";
import { migrationProvider, migrations } from "./migrations/index.ts";

/** Applies every pending migration (Kysely takes a lock, so several processes may run this at once). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`Database migration ${failed ?? ""} failed and was rolled back: ${(error as Error).message ?? error}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/**
 * Refuses to run against a schema this build does not match: behind (run `tocsin migrate`) or
 * ahead (a newer build migrated it; upgrade this one). Expand-then-contract migrations keep the
 * previous build working on a schema one step ahead, so only unknown *required* steps stop it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see migrateToLatest
export async function checkSchema(db: Kysely<any>): Promise<void> {
  const all = await new Migrator({ db, provider: migrationProvider }).getMigrations();
  const pending = all.filter((m) => m.executedAt === undefined).map((m) => m.name);
  if (pending.length) {
    throw new Error(`The database schema is behind this build (missing ${pending.join(", ")}): run 'tocsin migrate' first.`);
  }
  const known = new Set(Object.keys(migrations));
  const applied = await db.selectFrom("kysely_migration").select("name").execute();
  const unknown = applied.map((r) => r.name as string).filter((n) => !known.has(n));
  if (unknown.length) {
    throw new Error(`The database schema is ahead of this build (it has ${unknown.join(", ")}): upgrade Tocsin on this machine.`);
  }
}
