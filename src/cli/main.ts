import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { DataDirLockedError } from "../data-dir.ts";
import { ApiRequestError, createApiClient, resolveApiKey } from "./client.ts";

type Env = Record<string, string | undefined>;
type Out = { out: (s: string) => void; err: (s: string) => void };

class UsageError extends Error {}

function showHelp(io: Out, text: string): number {
  io.out(text);
  return 0;
}

const HELP: Record<string, string> = {
  main: `Usage: tocsin <command> [options]

Server:
  serve                 Run the API and the delivery workers in one process
  api                   Run the API only (PostgreSQL)
  worker                Run the delivery workers only (PostgreSQL)
  migrate               Apply database migrations and exit

Client (talk to a running server; --url / TOCSIN_URL, --api-key / TOCSIN_API_KEY):
  tenant create         Create a tenant
  endpoint add          Add an endpoint to a tenant
  endpoint list         List a tenant's endpoints
  endpoint rm           Delete an endpoint
  send                  Post an event from a file or stdin
  deliveries            List deliveries

Run 'tocsin <command> --help' for a command's options.`,
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
  migrate: `Usage: tocsin migrate [--data-dir DIR] [--database-url URL]

Applies pending migrations and exits. Idempotent, and safe from several processes at once.`,
  "tenant create": `Usage: tocsin tenant create [--id ID] [--name NAME] [--json]

Creates a tenant. ID is your own customer id ([A-Za-z0-9._:-], up to 128); generated when omitted.`,
  "endpoint add": `Usage: tocsin endpoint add --tenant ID [--event-types a.b,c.*] [--name NAME]
                           [--description TEXT] [--secret whsec_...] [--disabled] [--json] RECEIVER_URL

Adds an endpoint delivering to RECEIVER_URL (--url names the Tocsin server, as for every client
command). --event-types defaults to '*' (every type except tocsin.*). Prints the signing secret.`,
  "endpoint list": `Usage: tocsin endpoint list --tenant ID [--json]`,
  "endpoint rm": `Usage: tocsin endpoint rm --tenant ID --id ENDPOINT_ID`,
  send: `Usage: tocsin send --tenant ID [--type TYPE] [--file FILE | -] [--idempotency-key KEY] [--json]

With --type, the file (or stdin) holds the payload. Without it, the file holds what the API takes:
an event {"type", "payload", "idempotencyKey"} or an array of them. Numbers keep their exact text.`,
  deliveries: `Usage: tocsin deliveries --tenant ID [--endpoint ID] [--event ID] [--status STATUS] [--limit N] [--json]

Lists deliveries, newest first. STATUS: pending, delivering, succeeded, failed, cancelled.`,
};

const clientOptions = {
  url: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function parse<T extends Record<string, { type: "string" | "boolean"; short?: string }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function required(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`missing --${flag}`);
  return v;
}

function client(values: { url?: string; "api-key"?: string }, env: Env) {
  const url = values.url ?? env.TOCSIN_URL ?? `http://127.0.0.1:${env.TOCSIN_PORT || 3000}`;
  const key = resolveApiKey(values["api-key"], env);
  if (!key) throw new UsageError("no API key: pass --api-key or set TOCSIN_API_KEY");
  return createApiClient(url, key);
}

const enc = encodeURIComponent;

function table(rows: Record<string, unknown>[], cols: string[]): string {
  if (rows.length === 0) return "(none)";
  const cells = rows.map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? "-" : String(r[c]))));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [line(cols), ...cells.map(line)].join("\n");
}

async function readInput(file: string | undefined): Promise<string> {
  if (file && file !== "-") return readFileSync(file, "utf8");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function runRole(role: "serve" | "api" | "worker", args: string[], env: Env, io: Out): Promise<number> {
  const v = parse(args, {
    port: { type: "string" },
    host: { type: "string" },
    "data-dir": { type: "string" },
    "database-url": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) return showHelp(io, HELP[role]);
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
    const { start } = await import("../main.ts");
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

async function runMigrate(args: string[], env: Env, io: Out): Promise<number> {
  const v = parse(args, { "data-dir": { type: "string" }, "database-url": { type: "string" }, help: { type: "boolean", short: "h" } });
  if (v.help) return showHelp(io, HELP.migrate);
  const config = loadConfig(env, { dataDir: v["data-dir"], databaseUrl: v["database-url"] });
  if (config.databaseUrl) {
    const { createPostgresStore } = await import("../store/postgres/postgres-store.ts");
    const store = await createPostgresStore({ url: config.databaseUrl, poolSize: 2, schema: "apply" });
    await store.close();
    io.out("PostgreSQL schema is up to date");
    return 0;
  }
  const { openDataDir } = await import("../data-dir.ts");
  const { createSqliteStore } = await import("../store/sqlite/sqlite-store.ts");
  const dir = openDataDir(config.dataDir);
  try {
    const store = await createSqliteStore({ path: dir.dbPath, synchronous: config.sqliteSynchronous });
    await store.close();
    io.out(`database ${dir.dbPath} is up to date`);
  } finally {
    dir.release();
  }
  return 0;
}

async function runClient(cmd: string, args: string[], env: Env, io: Out): Promise<number> {
  const print = (json: boolean | undefined, data: unknown, human: () => string) => io.out(json ? JSON.stringify(data, null, 2) : human());
  switch (cmd) {
    case "tenant create": {
      const v = parse(args, { ...clientOptions, id: { type: "string" }, name: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const body: Record<string, unknown> = {};
      if (v.id) body.id = v.id;
      if (v.name) body.name = v.name;
      const t = (await client(v, env).request("POST", "/v1/tenants", JSON.stringify(body))) as { id: string };
      print(v.json, t, () => `created tenant ${t.id}`);
      return 0;
    }
    case "endpoint add": {
      let parsed: ReturnType<typeof parseArgs>;
      try {
        parsed = parseArgs({
          args,
          allowPositionals: true,
          strict: true,
          options: {
            ...clientOptions,
            tenant: { type: "string" },
            "event-types": { type: "string" },
            name: { type: "string" },
            description: { type: "string" },
            secret: { type: "string" },
            disabled: { type: "boolean" },
          },
        });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const v = parsed.values as {
        tenant?: string;
        "event-types"?: string;
        name?: string;
        description?: string;
        secret?: string;
        disabled?: boolean;
        url?: string;
        "api-key"?: string;
        json?: boolean;
        help?: boolean;
      };
      if (v.help) return showHelp(io, HELP[cmd]);
      const tenant = required(v.tenant, "tenant");
      if (parsed.positionals.length !== 1) throw new UsageError("give the receiver's URL once, as the last argument");
      const body: Record<string, unknown> = {
        url: parsed.positionals[0],
        eventTypes: (v["event-types"] ?? "*").split(",").map((s) => s.trim()).filter(Boolean),
      };
      if (v.name) body.name = v.name;
      if (v.description) body.description = v.description;
      if (v.secret) body.secret = v.secret;
      if (v.disabled) body.enabled = false;
      const api = client(v, env);
      const ep = (await api.request("POST", `/v1/tenants/${enc(tenant)}/endpoints`, JSON.stringify(body))) as { id: string; url: string };
      const { secret } = (await api.request("GET", `/v1/tenants/${enc(tenant)}/endpoints/${enc(ep.id)}/secret`)) as { secret: string };
      print(v.json, { ...ep, secret }, () => `created endpoint ${ep.id} -> ${ep.url}\nsigning secret: ${secret}`);
      return 0;
    }
    case "endpoint list": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const tenant = required(v.tenant, "tenant");
      const api = client(v, env);
      const all: Record<string, unknown>[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 100; i++) {
        const page = (await api.request("GET", `/v1/tenants/${enc(tenant)}/endpoints?limit=100${cursor ? `&cursor=${enc(cursor)}` : ""}`)) as {
          data: Record<string, unknown>[];
          nextCursor: string | null;
        };
        all.push(...page.data);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      print(v.json, all, () =>
        table(
          all.map((e) => ({ ...e, eventTypes: (e.eventTypes as string[]).join(",") })),
          ["id", "status", "url", "eventTypes", "name"],
        ),
      );
      return 0;
    }
    case "endpoint rm": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      await client(v, env).request("DELETE", `/v1/tenants/${enc(required(v.tenant, "tenant"))}/endpoints/${enc(required(v.id, "id"))}`);
      io.out(`deleted endpoint ${v.id}`);
      return 0;
    }
    case "send": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, type: { type: "string" }, file: { type: "string" }, "idempotency-key": { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const tenant = required(v.tenant, "tenant");
      const text = (await readInput(v.file)).trim();
      try {
        JSON.parse(text);
      } catch (e) {
        throw new UsageError(`the input is not valid JSON: ${(e as Error).message}`);
      }
      let body = text;
      if (v.type) {
        // Splice the payload text in as is, so numbers keep their exact source text.
        body = `{"type":${JSON.stringify(v.type)},${v["idempotency-key"] ? `"idempotencyKey":${JSON.stringify(v["idempotency-key"])},` : ""}"payload":${text}}`;
      } else if (v["idempotency-key"]) {
        throw new UsageError("--idempotency-key needs --type (put idempotencyKey in the event document otherwise)");
      }
      const r = await client(v, env).request("POST", `/v1/tenants/${enc(tenant)}/events`, body);
      print(v.json, r, () => {
        const one = r as { id?: string; deliveries?: number; events?: { id: string; deliveries: number }[] };
        const list = one.events ?? [{ id: one.id!, deliveries: one.deliveries! }];
        return list.map((e) => `event ${e.id}: ${e.deliveries} deliver${e.deliveries === 1 ? "y" : "ies"}`).join("\n");
      });
      return 0;
    }
    case "deliveries": {
      const v = parse(args, {
        ...clientOptions,
        tenant: { type: "string" },
        endpoint: { type: "string" },
        event: { type: "string" },
        status: { type: "string" },
        limit: { type: "string" },
      });
      if (v.help) return showHelp(io, HELP[cmd]);
      const q = new URLSearchParams();
      if (v.endpoint) q.set("endpointId", v.endpoint);
      if (v.event) q.set("eventId", v.event);
      if (v.status) q.set("status", v.status);
      q.set("limit", v.limit ?? "50");
      const page = (await client(v, env).request("GET", `/v1/tenants/${enc(required(v.tenant, "tenant"))}/deliveries?${q}`)) as {
        data: Record<string, unknown>[];
      };
      print(v.json, page, () =>
        table(page.data, ["id", "status", "eventType", "endpointId", "attemptCount", "lastStatusCode", "nextAttemptAt", "lastError"]),
      );
      return 0;
    }
  }
  throw new UsageError(`unknown command '${cmd}'`);
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], env: Env, io: Out = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const [first, second, ...rest] = argv;
  try {
    if (!first || first === "--help" || first === "-h" || first === "help") {
      io.out(HELP.main);
      return first ? 0 : 2;
    }
    if (first === "serve" || first === "api" || first === "worker") return await runRole(first, argv.slice(1), env, io);
    if (first === "migrate") return await runMigrate(argv.slice(1), env, io);
    if (first === "send" || first === "deliveries") return await runClient(first, argv.slice(1), env, io);
    if (first === "tenant" || first === "endpoint") {
      const cmd = `${first} ${second ?? ""}`;
      if (!HELP[cmd]) {
        io.err(`tocsin ${first}: unknown subcommand '${second ?? ""}'\n\n${HELP.main}`);
        return 2;
      }
      return await runClient(cmd, rest, env, io);
    }
    io.err(`tocsin: unknown command '${first}'\n\n${HELP.main}`);
    return 2;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tocsin: ${e.message}\nRun 'tocsin ${first}${second && HELP[`${first} ${second}`] ? ` ${second}` : ""} --help' for usage.`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof DataDirLockedError || e instanceof ApiRequestError) {
      io.err(`tocsin: ${e.message}`);
      return 1;
    }
    io.err(`tocsin: ${(e as Error).message}${(e as Error).cause ? ` (${String((e as Error).cause)})` : ""}`);
    return 1;
  }
}
