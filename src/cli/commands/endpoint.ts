import type { Endpoint, EndpointCreate, EndpointPatch, TestCall } from "@tocsin/client";
import { unwrap } from "../client.ts";
import { SETTINGS_HELP, eventTypesOf, settingOptions, settingsFromFlags, updateOptions } from "../endpoint-flags.ts";
import { describeEndpoint } from "../endpoint-show.ts";
import {
  type Command,
  type Out,
  UsageError,
  client,
  clientOptions,
  exclusive,
  parse,
  parseWithPositionals,
  printer,
  required,
  showHelp,
  table,
} from "../shared.ts";
import { replay } from "./replay.ts";

/** `tocsin endpoint …`: an endpoint's settings, status, secret, test calls and validation. */

type EndpointDoc = Endpoint;

type TestCallDoc = TestCall;

const ADD_HELP = `Usage: tocsin endpoint add --tenant ID [--event-types a.b,c.*] [--name NAME] [--description TEXT]
                           [--secret SECRET] [--disabled] [SETTINGS] [--json] RECEIVER_URL

Adds an endpoint delivering to RECEIVER_URL (or --receiver-url URL; --url names the Tocsin server,
as for every client command). --event-types defaults to '*' (every type except tocsin.*). Prints
the endpoint's settings and its signing secret; warnings go to stderr.

${SETTINGS_HELP}`;

const add: Command = async (args, env, io) => {
  const print = printer(io);
  const parsed = parseWithPositionals(args, {
    ...clientOptions,
    ...settingOptions,
    tenant: { type: "string" },
    secret: { type: "string" },
    disabled: { type: "boolean" },
  });
  const v = parsed.values;
  if (v.help) return showHelp(io, ADD_HELP);
  const tenant = required(v.tenant, "tenant");
  const urls = [...parsed.positionals, ...(v["receiver-url"] !== undefined ? [v["receiver-url"]] : [])];
  if (urls.length !== 1) throw new UsageError("give the receiver's URL once, as the last argument (or as --receiver-url)");
  const body: Record<string, unknown> = {
    url: urls[0],
    eventTypes: eventTypesOf(v["event-types"] ?? "*"),
  };
  if (v.name) body.name = v.name;
  if (v.description) body.description = v.description;
  if (v.secret) body.secret = v.secret;
  if (v.disabled) body.enabled = false;
  Object.assign(body, await settingsFromFlags(v, env, io));
  const api = client(v, env);
  // Flags build the body field by field; the server checks it as it checks any request.
  const ep = await unwrap(api.POST("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant } }, body: body as EndpointCreate }));
  const got = await unwrap(api.GET("/v1/tenants/{tenant}/endpoints/{id}/secret", { params: { path: { tenant, id: ep.id } } }));
  print(v.json, { ...ep, ...got }, () => `created endpoint ${ep.id} -> ${ep.url}\n${describeEndpoint(ep)}\n${secretLine(got)}`);
  printWarnings(io, ep);
  return 0;
};

const UPDATE_HELP = `Usage: tocsin endpoint update --tenant ID --id ENDPOINT_ID [CHANGES] [SETTINGS] [--json]

Changes only what is given; everything else is kept (a JSON merge patch).
  --receiver-url URL          New receiver URL (--url names the Tocsin server); validates again.
                              Another origin (scheme, host or port) clears the stored auth,
                              client certificate and key, and the headers, unless this
                              command sets them again (or --keep-headers)
  --keep-headers              With --receiver-url to another origin: keep the extra headers
  --name NAME                 ('' clears it)
  --description TEXT          ('' clears it)
  --event-types a.b,c.*       Replaces the list ('' receives nothing)
  --enable | --disable        Resume | pause deliveries
  --headers "A: 1, B: 2"      Replaces all extra headers; '' removes them all
  --header "Name: value"      Adds or changes one header (repeatable)
  --remove-header NAME        Removes one header (repeatable; any case)
  --no-auth                   Removes basic or bearer auth
  --no-client-cert            Removes the client certificate and its key
  --no-ca                     Removes the extra CA certificates
  --min-severity none         Removes the severity filter
  --timestamp-header ''       Stops sending (and signing) the timestamp

${SETTINGS_HELP}`;

const update: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, ...settingOptions, ...updateOptions, tenant: { type: "string" } });
  if (v.help) return showHelp(io, UPDATE_HELP);
  const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
  exclusive(v, ["enable", "disable"]);
  const api = client(v, env);
  let fetched: Promise<EndpointDoc> | undefined;
  const current = () => (fetched ??= unwrap(api.GET("/v1/tenants/{tenant}/endpoints/{id}", { params: { path } })));
  const body: Record<string, unknown> = {};
  if (v["receiver-url"] !== undefined) body.url = v["receiver-url"];
  if (v.name !== undefined) body.name = v.name === "" ? null : v.name;
  if (v.description !== undefined) body.description = v.description === "" ? null : v.description;
  if (v["event-types"] !== undefined) body.eventTypes = eventTypesOf(v["event-types"]);
  if (v.enable) body.enabled = true;
  if (v.disable) body.enabled = false;
  Object.assign(body, await settingsFromFlags(v, env, io, current));
  // A merge patch of no headers: keeps them all when the URL moves to another origin.
  if (v["keep-headers"] && body.headers === undefined) body.headers = {};
  const headersOnly = v.headers !== undefined || v.header?.length || v["remove-header"]?.length;
  if (Object.keys(body).length === 0 && !headersOnly) throw new UsageError("nothing to change: give at least one setting (see --help)");
  const ep = await unwrap(api.PATCH("/v1/tenants/{tenant}/endpoints/{id}", { params: { path }, body: body as EndpointPatch }));
  print(v.json, ep, () => `updated endpoint ${ep.id} -> ${ep.url}\n${describeEndpoint(ep)}`);
  printWarnings(io, ep);
  if (ep.cleared?.length)
    io.err(`note: the URL moved to another origin, so these were cleared: ${ep.cleared.join(", ")}; set them again if the new receiver needs them`);
  return 0;
};

const SHOW_HELP = `Usage: tocsin endpoint show --tenant ID --id ENDPOINT_ID [--json]

Shows the endpoint's settings and status (secrets only as "set"); warnings go to stderr.`;

const show: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
  if (v.help) return showHelp(io, SHOW_HELP);
  const api = client(v, env);
  const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
  const ep = await unwrap(api.GET("/v1/tenants/{tenant}/endpoints/{id}", { params: { path } }));
  print(v.json, ep, () => `endpoint ${ep.id} -> ${ep.url}\n${describeEndpoint(ep)}`);
  printWarnings(io, ep);
  return 0;
};

const LIST_HELP = `Usage: tocsin endpoint list --tenant ID [--json]`;

const list: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, tenant: { type: "string" } });
  if (v.help) return showHelp(io, LIST_HELP);
  const tenant = required(v.tenant, "tenant");
  const api = client(v, env);
  const all: EndpointDoc[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const query: { limit: number; cursor?: string } = { limit: 100, cursor: cursor || undefined };
    const page = await unwrap(api.GET("/v1/tenants/{tenant}/endpoints", { params: { path: { tenant }, query } }));
    all.push(...page.data);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  print(v.json, all, () =>
    table(
      all.map((e) => {
        const rate = e.health?.successRate;
        return { ...e, eventTypes: e.eventTypes.join(","), success: rate === null || rate === undefined ? null : `${Math.round(rate * 1000) / 10}%` };
      }),
      ["id", "status", "success", "url", "eventTypes", "name"],
    ),
  );
  return 0;
};

const TEST_HELP = `Usage: tocsin endpoint test --tenant ID --id ENDPOINT_ID [--event-type TYPE] [--verbose] [--json]

Sends one test delivery now, through the endpoint's real settings, outside the queue: the event
type's example payload with --event-type, else a small built-in one. Prints the request line, the
receiver's status, the time taken and its response body, or the error. --verbose adds the request
(credentials redacted) and response headers. Exits 0 when the receiver answered 2xx, else 1.`;

const test: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, {
    ...clientOptions,
    tenant: { type: "string" },
    id: { type: "string" },
    "event-type": { type: "string" },
    verbose: { type: "boolean", short: "v" },
  });
  if (v.help) return showHelp(io, TEST_HELP);
  const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
  const body = v["event-type"] !== undefined ? { eventType: v["event-type"] } : {};
  const r = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/endpoints/{id}/test", { params: { path }, body }));
  print(v.json, r, () => describeCall(r, v.verbose));
  return is2xx(r) ? 0 : 1;
};

const VALIDATE_HELP = `Usage: tocsin endpoint validate --tenant ID --id ENDPOINT_ID [--verbose] [--json]

Runs the endpoint's validation (--validation token-path or challenge) now and records the result;
deliveries wait until it passes. Prints the result, the endpoint's status and the request made
(--verbose: with headers). Exits 0 when it passed, else 1 (also when the endpoint has no validation).`;

const validate: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" }, verbose: { type: "boolean", short: "v" } });
  if (v.help) return showHelp(io, VALIDATE_HELP);
  const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
  const r = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/endpoints/{id}/validate", { params: { path } }));
  const val = r.endpoint.validation;
  print(v.json, r, () =>
    [`validation ${val.status}${val.error ? `: ${val.error}` : ""}`, `status:   ${r.endpoint.status}`, describeCall(r.result, v.verbose)].join("\n"),
  );
  return val.status === "passed" ? 0 : 1;
};

const PAUSE_HELP = `Usage: tocsin endpoint pause --tenant ID --id ENDPOINT_ID [--json]

Pauses deliveries to the endpoint: new events still queue deliveries for it, which wait.`;

const RESUME_HELP = `Usage: tocsin endpoint resume --tenant ID --id ENDPOINT_ID [--json]

Resumes a paused endpoint; the deliveries that waited go out.`;

function pauseOrResume(resume: boolean): Command {
  return async (args, env, io) => {
    const print = printer(io);
    const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
    if (v.help) return showHelp(io, resume ? RESUME_HELP : PAUSE_HELP);
    const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
    const ep = await unwrap(client(v, env).PATCH("/v1/tenants/{tenant}/endpoints/{id}", { params: { path }, body: { enabled: resume } }));
    print(v.json, ep, () => `${resume ? "resumed" : "paused"} endpoint ${ep.id} (status ${ep.status})`);
    return 0;
  };
}

const SECRET_HELP = `Usage: tocsin endpoint secret --tenant ID --id ENDPOINT_ID [--json]

Prints the endpoint's signing secret (only the secret, for scripts). Under --signing ed25519 it
prints the public key (whpk_…) receivers verify with: the private key never leaves the server.`;

const printSecret: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
  if (v.help) return showHelp(io, SECRET_HELP);
  const api = client(v, env);
  const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
  const r = await unwrap(api.GET("/v1/tenants/{tenant}/endpoints/{id}/secret", { params: { path } }));
  print(v.json, r, () => ("secret" in r ? r.secret : r.publicKey));
  return 0;
};

/** The line `endpoint add` ends with: the secret, or under ed25519 the public key. */
function secretLine(got: { secret: string } | { publicKey: string }): string {
  return "secret" in got ? `signing secret: ${got.secret}` : `public key (verify with it; the private key stays on the server): ${got.publicKey}`;
}

const ROTATE_SECRET_HELP = `Usage: tocsin endpoint rotate-secret --tenant ID --id ENDPOINT_ID [--secret SECRET] [--json]

Issues a new signing secret (generated unless --secret gives one) and prints it. Where the
signature header can hold several signatures (standard), the previous secret keeps signing
alongside for 24 hours; otherwise the new one applies at once. The output says which.
Under --signing ed25519 a new key pair is made and its public key printed (--secret is refused).`;

const rotateSecret: Command = async (args, env, io) => {
  const print = printer(io);
  const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" }, secret: { type: "string" } });
  if (v.help) return showHelp(io, ROTATE_SECRET_HELP);
  const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
  const body = v.secret !== undefined ? { secret: v.secret } : {};
  const r = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/endpoints/{id}/secret/rotate", { params: { path }, body }));
  print(v.json, r, () => ("secret" in r ? `new signing secret: ${r.secret}\n${r.detail}` : `new public key: ${r.publicKey}\n${r.detail}`));
  return 0;
};

const RM_HELP = `Usage: tocsin endpoint rm --tenant ID --id ENDPOINT_ID`;

const rm: Command = async (args, env, io) => {
  const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
  if (v.help) return showHelp(io, RM_HELP);
  const api = client(v, env);
  const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
  await unwrap(api.DELETE("/v1/tenants/{tenant}/endpoints/{id}", { params: { path } }));
  io.out(`deleted endpoint ${v.id}`);
  return 0;
};

/** The subcommands, by name. */
export const endpointCommands: Record<string, Command> = {
  add,
  update,
  show,
  list,
  test,
  validate,
  pause: pauseOrResume(false),
  resume: pauseOrResume(true),
  secret: printSecret,
  "rotate-secret": rotateSecret,
  replay,
  rm,
};

function printWarnings(io: Out, e: { warnings?: string[] }): void {
  for (const w of e.warnings ?? []) io.err(`warning: ${w}`);
}

function describeCall(r: TestCallDoc, verbose: boolean | undefined): string {
  const lines = [`request:  ${r.request.method} ${r.request.url}`];
  if (verbose) {
    for (const [k, val] of Object.entries(r.request.headers)) lines.push(`  ${k}: ${val}`);
    if (r.request.body !== null) lines.push(`  ${r.request.body}`);
  }
  if (r.response) lines.push(`response: HTTP ${r.response.status} in ${r.durationMs} ms`);
  if (r.error && (!r.response || r.error.class !== "http_status")) {
    lines.push(`error:    ${r.error.class}: ${r.error.message}${r.response ? "" : ` (after ${r.durationMs} ms)`}`);
  }
  if (r.response) {
    if (verbose) for (const [k, val] of Object.entries(r.response.headers)) lines.push(`  ${k}: ${val}`);
    if (r.response.body !== "") lines.push(r.response.body.replace(/\n$/, ""));
  }
  return lines.join("\n");
}

const is2xx = (r: TestCallDoc) => r.response !== null && r.response.status >= 200 && r.response.status < 300;
