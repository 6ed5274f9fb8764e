import type { RequestBody } from "@tocsin/client";
import { unwrap } from "../client.ts";
import { type Command, client, clientOptions, parse, printer, showHelp } from "../shared.ts";

/** `tocsin tenant …`. */

const CREATE_HELP = `Usage: tocsin tenant create [--id ID] [--name NAME] [--json]

Creates a tenant. ID is your own customer id ([A-Za-z0-9._:-], up to 128); generated when omitted.`;

const create: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, id: { type: "string" }, name: { type: "string" } });
  if (v.help) return showHelp(io, CREATE_HELP);
  const body: RequestBody<"/v1/tenants", "post"> = {};
  if (v.id) body.id = v.id;
  if (v.name) body.name = v.name;
  const t = await unwrap(client(v, env).POST("/v1/tenants", { body }));
  print(v.json, t, () => `created tenant ${t.id}`);
  return 0;
};

/** The subcommands, by name. */
export const tenantCommands: Record<string, Command> = { create };
