import { unwrap } from "../client.ts";
import { type Command, UsageError, client, clientOptions, parse, printer, required, showHelp } from "../shared.ts";

/** `tocsin portal-session`: a short-lived customer console session for a tenant. */

const PORTAL_SESSION_HELP = `Usage: tocsin portal-session --tenant ID [--ttl SECONDS] [--json]

Creates a customer console session for one tenant (endpoints:write and read, never events:write),
valid for --ttl seconds (default 3600, at most 86400). Prints the URL and the token.`;

export const portalSession: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, tenant: { type: "string" }, ttl: { type: "string" } });
  if (v.help) return showHelp(io, PORTAL_SESSION_HELP);
  if (v.ttl !== undefined && !/^\d+$/.test(v.ttl)) throw new UsageError("--ttl must be a number of seconds");
  const body = v.ttl === undefined ? {} : { ttlSeconds: Number(v.ttl) };
  const p = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/portal-sessions", { params: { path: { tenant: required(v.tenant, "tenant") } }, body }));
  print(v.json, p, () => `${p.url}\ntoken: ${p.token}\nexpires: ${p.expiresAt}`);
  return 0;
};
