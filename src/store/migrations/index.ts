import type { Migration, MigrationProvider } from "kysely/migration";
import * as m001 from "./001-initial.ts";

/** Every migration, in order. Never edit one that has been released; add a new one. */
export const migrations: Record<string, Migration> = {
  "001-initial": m001,
};

/** The schema version this build expects: the name of its newest migration. */
export const LATEST_MIGRATION = "001-initial";

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
