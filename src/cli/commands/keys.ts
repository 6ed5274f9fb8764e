import type { ApiKey, RequestBody } from "@tocsin/client";
import { unwrap } from "../client.ts";
import { type Command, UsageError, client, clientOptions, parse, printer, required, showHelp, table } from "../shared.ts";
import { rotateMaster } from "./rotate-master.ts";

/** `tocsin keys …`: API keys, and the master key's rotation (in rotate-master.ts). */

const CREATE_HELP = `Usage: tocsin keys create --name NAME [--tenant ID --scopes events:write,endpoints:write,read] [--expires-at ISO] [--json]

Without --tenant: an admin key (every tenant, every route). With --tenant: a key that sees only
that tenant, with the given scopes (default: read). Prints the key once: store it now.
Rotation without downtime: create a new key, move clients to it, then revoke the old one.`;

const create: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, {
    ...clientOptions,
    tenant: { type: "string" },
    name: { type: "string" },
    scopes: { type: "string" },
    "expires-at": { type: "string" },
  });
  if (v.help) return showHelp(io, CREATE_HELP);
  const name = required(v.name, "name");
  const expiresAt = v["expires-at"] ? v["expires-at"] : undefined;
  if (v.scopes !== undefined && !v.tenant) throw new UsageError("--scopes needs --tenant: admin keys have every scope");
  const api = client(v, env);
  // The server checks the scope names.
  const scopes = (v.scopes ?? "read")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean) as RequestBody<"/v1/tenants/{tenant}/keys", "post">["scopes"];
  const k = v.tenant
    ? await unwrap(api.POST("/v1/tenants/{tenant}/keys", { params: { path: { tenant: v.tenant } }, body: { name, expiresAt, scopes } }))
    : await unwrap(api.POST("/v1/keys", { body: { name, expiresAt } }));
  print(
    v.json,
    k,
    () =>
      `created ${k.kind} key ${k.id}${v.tenant ? ` for tenant ${v.tenant} (${k.scopes.join(", ")})` : ""}\n${k.key}\nThis is the only time the key is shown.`,
  );
  return 0;
};

const LIST_HELP = `Usage: tocsin keys list [--tenant ID] [--kind admin|tenant|portal] [--json]`;

const list: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, tenant: { type: "string" }, kind: { type: "string" } });
  if (v.help) return showHelp(io, LIST_HELP);
  // The server checks the kind.
  const query = { kind: (v.kind || undefined) as ApiKey["kind"] | undefined };
  const api = client(v, env);
  const page = v.tenant
    ? await unwrap(api.GET("/v1/tenants/{tenant}/keys", { params: { path: { tenant: v.tenant }, query } }))
    : await unwrap(api.GET("/v1/keys", { params: { query } }));
  const rows = page.data.map((k) => ({ ...k, scopes: k.scopes.join(",") }));
  print(v.json, page, () => table(rows, ["id", "kind", "tenantId", "name", "prefix", "scopes", "expiresAt", "revokedAt"]));
  return 0;
};

const REVOKE_HELP = `Usage: tocsin keys revoke --id KEY_ID [--tenant ID]`;

const revoke: Command = async (args, env, io) => {
  const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
  if (v.help) return showHelp(io, REVOKE_HELP);
  const id = required(v.id, "id");
  const api = client(v, env);
  await unwrap(
    v.tenant
      ? api.DELETE("/v1/tenants/{tenant}/keys/{id}", { params: { path: { tenant: v.tenant, id } } })
      : api.DELETE("/v1/keys/{id}", { params: { path: { id } } }),
  );
  io.out(`revoked key ${v.id}`);
  return 0;
};

/** The subcommands, by name. */
export const keysCommands: Record<string, Command> = { "rotate-master": rotateMaster, create, list, revoke };
