import { loadConfig } from "../../config.ts";
import { type Command, type Env, type Out, UsageError, parse, showHelp } from "../shared.ts";

/** `tocsin serve`, `tocsin api` and `tocsin worker`: the server's roles, running until a signal. */

const ROLE_HELP = {
  serve: `Usage: tocsin serve [--port N] [--host ADDR] [--data-dir DIR] [--database-url URL]

Starts the API and the delivery workers. Without a database URL, data lives in the embedded SQLite
database in the data folder (migrated automatically). Environment: TOCSIN_PORT, TOCSIN_HOST,
TOCSIN_DATA_DIR, TOCSIN_DATABASE_URL, TOCSIN_API_KEY (else a key is generated into
<data-dir>/admin-key), TOCSIN_MASTER_KEY, TOCSIN_ALLOW_PRIVATE_NETWORKS and the rest listed in
docs/configuration.md.`,
  api: `Usage: tocsin api [--port N] [--host ADDR] [--database-url URL]

Starts the REST API only, on PostgreSQL. Needs TOCSIN_DATABASE_URL, TOCSIN_API_KEY and
TOCSIN_MASTER_KEY. Run any number, behind a load balancer.`,
  worker: `Usage: tocsin worker [--database-url URL]

Starts delivery workers only, on PostgreSQL. Needs TOCSIN_DATABASE_URL and TOCSIN_MASTER_KEY.
Run any number, on any machines; they share the work through the database.`,
};

function roleCommand(role: "serve" | "api" | "worker"): Command {
  return (args, env, io) => runRole(role, args, env, io);
}

/** The roles, by command name. */
export const roleCommands: Record<string, Command> = { serve: roleCommand("serve"), api: roleCommand("api"), worker: roleCommand("worker") };

async function runRole(role: "serve" | "api" | "worker", args: string[], env: Env, io: Out): Promise<number> {
  const v = parse(args, {
    port: { type: "string" },
    host: { type: "string" },
    "data-dir": { type: "string" },
    "database-url": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) return showHelp(io, ROLE_HELP[role]);
  if (v.port !== undefined && !/^\d+$/.test(v.port)) throw new UsageError("--port must be a number");
  const config = loadConfig(env, {
    port: v.port === undefined ? undefined : Number(v.port),
    host: v.host,
    dataDir: v["data-dir"],
    databaseUrl: v["database-url"],
  });
  // Signal handlers go in before anything starts, so a SIGTERM during start-up still drains.
  let signalled: (signal: string) => void = () => {};
  const signal = new Promise<string>((resolve) => {
    signalled = resolve;
  });
  const onTerm = () => signalled("SIGTERM");
  const onInt = () => signalled("SIGINT");
  process.once("SIGTERM", onTerm);
  process.once("SIGINT", onInt);
  try {
    const { start } = await import("../../main.ts");
    const app = await start(config, role);
    const received = await signal;
    app.logger.info({ signal: received }, "signal received");
    try {
      await app.stop();
    } catch (e) {
      app.logger.error({ err: e }, "error while stopping");
      return 1;
    }
  } finally {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
  }
  return 0;
}
