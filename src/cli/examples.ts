import { existsSync, readFileSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseJsonKeepingSource } from "../core/json.ts";
import type { EndpointCreate, EndpointPatch, RequestBody } from "@tocsin/client";
import { type ApiClient, TocsinApiError, createApiClient, resolveApiKey, unwrap } from "./client.ts";
import { coerceError } from "../core/errors.ts";

/**
 * Ready-made integrations under examples/<vendor>/: the vendor's event types (JSON Schema and the
 * example payload of its documentation) and an endpoint that sends them as the vendor does.
 * `tocsin examples load` puts one into a running server.
 */

type Env = Record<string, string | undefined>;
type Out = { out: (s: string) => void; err: (s: string) => void };

/** The examples folder at the package root, wherever the command is run from. */
export const EXAMPLES_DIR = new URL("../../examples/", import.meta.url);

const VENDOR_NAME = /^[a-z0-9][a-z0-9-]*$/;

export interface ExampleEventType {
  name: string;
  description?: string;
  schema?: unknown;
  example?: unknown;
}

export interface Example {
  vendor: string;
  /** The README's title line. */
  title: string;
  eventTypes: ExampleEventType[];
  /** The endpoint to create, without its `url`. */
  endpoint: Record<string, unknown>;
}

/** The vendors with an example, sorted. */
export function listVendors(): string[] {
  return readdirSync(EXAMPLES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && VENDOR_NAME.test(d.name) && existsSync(new URL(`${d.name}/endpoint.json`, EXAMPLES_DIR)))
    .map((d) => d.name)
    .sort();
}

export class UnknownExampleError extends Error {
  constructor(vendor: string) {
    super(`no example named '${vendor}'; the examples are: ${listVendors().join(", ")}`);
  }
}

/** Reads one example; numbers in its payloads keep their source text. */
export function readExample(vendor: string): Example {
  if (!VENDOR_NAME.test(vendor) || !listVendors().includes(vendor)) throw new UnknownExampleError(vendor);
  const file = (name: string) => readFileSync(new URL(`${vendor}/${name}`, EXAMPLES_DIR), "utf8");
  const readme = file("README.md");
  const title = /^#\s+(.+)$/m.exec(readme)?.[1]?.trim() ?? vendor;
  return {
    vendor,
    title,
    eventTypes: parseJsonKeepingSource(file("event-types.json")) as ExampleEventType[],
    endpoint: JSON.parse(file("endpoint.json")) as Record<string, unknown>,
  };
}

export interface LoadResult {
  vendor: string;
  tenant: { id: string; created: boolean };
  eventTypes: { name: string; created: boolean }[];
  endpoint: Record<string, unknown> & { id: string; url: string; warnings?: string[] };
  endpointCreated: boolean;
  secret: string;
}

async function notFoundAsNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof TocsinApiError && e.status === 404) return null;
    throw e;
  }
}

/**
 * Loads an example into a server: creates or updates its event types, creates the tenant when it
 * does not exist, then creates its endpoint for `receiverUrl` (or updates the tenant's endpoint of
 * the same name and URL, so that loading twice changes nothing).
 */
export async function loadExample(api: ApiClient, vendor: string, tenant: string, receiverUrl: string): Promise<LoadResult> {
  const ex = readExample(vendor);
  const eventTypes: LoadResult["eventTypes"] = [];
  for (const t of ex.eventTypes) {
    try {
      await unwrap(api.POST("/v1/event-types", { body: t }));
      eventTypes.push({ name: t.name, created: true });
    } catch (e) {
      if (!(e instanceof TocsinApiError && e.status === 409)) throw e;
      const { name, ...rest } = t;
      const patch: RequestBody<"/v1/event-types/{name}", "patch"> = { description: null, schema: null, example: null, ...rest };
      await unwrap(api.PATCH("/v1/event-types/{name}", { params: { path: { name } }, body: patch }));
      eventTypes.push({ name, created: false });
    }
  }
  let tenantCreated = false;
  if ((await notFoundAsNull(unwrap(api.GET("/v1/tenants/{tenant}", { params: { path: { tenant } } })))) === null) {
    await unwrap(api.POST("/v1/tenants", { body: { id: tenant } }));
    tenantCreated = true;
  }
  // endpoint.json is checked by the server, as any request body.
  const body = { ...ex.endpoint, url: receiverUrl };
  let existing: { id: string } | undefined;
  let cursor: string | null = null;
  for (let i = 0; i < 10 && !existing; i++) {
    const query: { limit: number; cursor?: string } = { limit: 100, cursor: cursor || undefined };
    const page = await unwrap(api.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query } }));
    existing = page.data.find((e) => e.name === ex.endpoint.name && e.url === receiverUrl);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  const endpoint: LoadResult["endpoint"] = existing
    ? await unwrap(api.PATCH("/v1/tenants/{tenant}/endpoints/{id}", { params: { path: { tenant, id: existing.id } }, body: body as EndpointPatch }))
    : await unwrap(api.POST("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant } }, body: body as EndpointCreate }));
  const got = await unwrap(api.GET("/v1/tenants/{tenant}/endpoints/{id}/secret", { params: { path: { tenant, id: endpoint.id } } }));
  const secret = "secret" in got ? got.secret : got.publicKey;
  return { vendor, tenant: { id: tenant, created: tenantCreated }, eventTypes, endpoint, endpointCreated: !existing, secret };
}

export const EXAMPLES_HELP = {
  load: `Usage: tocsin examples load VENDOR --tenant ID --receiver-url URL [--json]

Loads a ready-made vendor integration from examples/VENDOR into the running server: its event
types (schema and the vendor's example payload; existing ones are updated), the tenant (created
when it does not exist) and an endpoint delivering to URL as the vendor does (loading again updates
the tenant's endpoint of the same name and URL instead of adding one). Prints the endpoint id, its
signing secret and what was loaded. --url names the Tocsin server, as for every client command.
'tocsin examples list' shows the vendors; docs/examples.md describes each.`,
  list: `Usage: tocsin examples list [--json]

Lists the ready-made vendor integrations that 'tocsin examples load' can load.`,
};

const clientOptions = {
  url: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * `tocsin examples load|list`. `usage` makes the CLI's usage error (exit code 2); `client` builds
 * the API client from --url and --api-key as every client command does.
 */
export async function runExamples(
  cmd: "examples load" | "examples list",
  args: string[],
  env: Env,
  io: Out,
  usage: (message: string) => Error,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...clientOptions, tenant: { type: "string" }, "receiver-url": { type: "string" } },
      allowPositionals: cmd === "examples load",
      strict: true,
    });
  } catch (e) {
    throw usage(coerceError(e).message);
  }
  const v = parsed.values;
  const print = (data: unknown, human: () => string) => io.out(v.json ? JSON.stringify(data, null, 2) : human());
  if (cmd === "examples list") {
    if (v.help) return (io.out(EXAMPLES_HELP.list), 0);
    const all = listVendors().map(readExample);
    print(
      all.map((e) => ({ vendor: e.vendor, title: e.title, eventTypes: e.eventTypes.map((t) => t.name) })),
      () => all.map((e) => `${e.vendor.padEnd(12)} ${e.title}\n${" ".repeat(13)}event types: ${e.eventTypes.map((t) => t.name).join(", ")}`).join("\n"),
    );
    return 0;
  }
  if (v.help) return (io.out(EXAMPLES_HELP.load), 0);
  if (parsed.positionals.length !== 1) throw usage(`name one vendor: ${listVendors().join(", ")}`);
  const vendor = parsed.positionals[0]!;
  if (!listVendors().includes(vendor)) throw usage(new UnknownExampleError(vendor).message);
  if (!v.tenant) throw usage("missing --tenant");
  if (!v["receiver-url"]) throw usage("missing --receiver-url (the URL the example's webhooks go to)");
  const url = v.url ?? env.TOCSIN_URL ?? `http://127.0.0.1:${env.TOCSIN_PORT || 3000}`;
  const key = resolveApiKey(v["api-key"], env);
  if (!key) throw usage("no API key: pass --api-key or set TOCSIN_API_KEY");
  const r = await loadExample(createApiClient(url, key), vendor, v.tenant, v["receiver-url"]);
  print({ ...r, endpoint: { ...r.endpoint, secret: r.secret } }, () => {
    const ep = r.endpoint;
    const lines = [
      `loaded example ${vendor} into tenant ${r.tenant.id}${r.tenant.created ? " (created)" : ""}`,
      ...r.eventTypes.map((t) => `event type ${t.name} ${t.created ? "created" : "updated"}`),
      `${r.endpointCreated ? "created" : "updated"} endpoint ${ep.id} -> ${ep.url}${ep.status === "pending_validation" ? " (validating)" : ""}`,
      `signing secret: ${r.secret}`,
      `try it: npm run -s tocsin -- endpoint test --tenant ${r.tenant.id} --id ${ep.id} --event-type ${r.eventTypes[0]?.name ?? ""}${v.url === undefined ? "" : ` --url ${v.url}`}`,
    ];
    return lines.join("\n");
  });
  for (const w of r.endpoint.warnings ?? []) io.err(`warning: ${w}`);
  return 0;
}
