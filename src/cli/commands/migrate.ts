import { loadConfig } from "../../config.ts";
import { type Command, parse, showHelp } from "../shared.ts";

/** `tocsin migrate`: applies pending migrations and exits. */

const MIGRATE_HELP = `Usage: tocsin migrate [--data-dir DIR] [--database-url URL]

Applies pending migrations and exits. Idempotent, and safe from several processes at once.`;

export const migrate: Command = async (args, env, io) => {
  const v = parse(args, { "data-dir": { type: "string" }, "database-url": { type: "string" }, help: { type: "boolean", short: "h" } });
  if (v.help) return showHelp(io, MIGRATE_HELP);
  const config = loadConfig(env, { dataDir: v["data-dir"], databaseUrl: v["database-url"] });
  // The store opens as the server opens it, with a pool of two and migrations applied.
  const { openStore } = await import("../../open-store.ts");
  if (config.databaseUrl) {
    const store = await openStore(config, null, { schema: "apply", poolSize: 2 });
    await store.close();
    io.out("PostgreSQL schema is up to date");
    return 0;
  }
  const { openDataDir } = await import("../../data-dir.ts");
  const dir = openDataDir(config.dataDir);
  try {
    const store = await openStore(config, dir, { schema: "apply", poolSize: 2 });
    await store.close();
    io.out(`database ${dir.dbPath} is up to date`);
  } finally {
    dir.release();
  }
  return 0;
};
