import { ConfigError } from "../config.ts";
import { DataDirFullError, DataDirLockedError } from "../data-dir.ts";
import { runBackup } from "./backup.ts";
import { TocsinApiError } from "./client.ts";
import { deliveries } from "./commands/deliveries.ts";
import { endpointCommands } from "./commands/endpoint.ts";
import { MAIN_HELP } from "./commands/help.ts";
import { keysCommands } from "./commands/keys.ts";
import { migrate } from "./commands/migrate.ts";
import { portalSession } from "./commands/portal-session.ts";
import { listen, verify } from "./commands/receiver.ts";
import { roleCommands } from "./commands/roles.ts";
import { send } from "./commands/send.ts";
import { silencesCommands } from "./commands/silences.ts";
import { tenantCommands } from "./commands/tenant.ts";
import { runExamples } from "./examples.ts";
import { type Command, type Env, type Out, UsageError, usage } from "./shared.ts";
import { coerceError } from "../core/errors.ts";

/** The commands of one word, by name; each takes the arguments after it. */
const COMMANDS: Record<string, Command> = {
  ...roleCommands,
  migrate,
  backup: (args, env, io) => runBackup(args, env, io, usage),
  listen,
  verify,
  "portal-session": portalSession,
  send,
  deliveries,
};

/** The command groups ('tocsin endpoint add'), by name and then subcommand. */
const GROUPS: Record<string, Record<string, Command>> = {
  tenant: tenantCommands,
  endpoint: endpointCommands,
  keys: keysCommands,
  silences: silencesCommands,
  examples: {
    list: (args, env, io) => runExamples("examples list", args, env, io, usage),
    load: (args, env, io) => runExamples("examples load", args, env, io, usage),
  },
};

/** `table[name]`, never an inherited property such as "constructor". */
function lookup<T>(table: Record<string, T>, name: string | undefined): T | undefined {
  return name !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], env: Env, io: Out = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const [first, second, ...rest] = argv;
  const group = lookup(GROUPS, first);
  try {
    if (!first || first === "--help" || first === "-h" || first === "help") {
      io.out(MAIN_HELP);
      return first ? 0 : 2;
    }
    if (group) {
      const subcommand = lookup(group, second ?? "");
      if (!subcommand) {
        io.err(`tocsin ${first}: unknown subcommand '${second ?? ""}'\n\n${MAIN_HELP}`);
        return 2;
      }
      return await subcommand(rest, env, io);
    }
    const command = lookup(COMMANDS, first);
    if (command) return await command(argv.slice(1), env, io);
    io.err(`tocsin: unknown command '${first}'\n\n${MAIN_HELP}`);
    return 2;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tocsin: ${e.message}\nRun 'tocsin ${first}${second && group && lookup(group, second) ? ` ${second}` : ""} --help' for usage.`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof DataDirLockedError || e instanceof DataDirFullError || e instanceof TocsinApiError) {
      io.err(`tocsin: ${e.message}`);
      return 1;
    }
    const err = coerceError(e);
    io.err(`tocsin: ${err.message}${err.cause ? ` (${String(err.cause)})` : ""}`);
    return 1;
  }
}
