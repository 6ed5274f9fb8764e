import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { parseDuration } from "../core/retry-policy.ts";
import { DataDirLockedError } from "../data-dir.ts";
import { BACKUP_HELP, runBackup } from "./backup.ts";
import type { ApiKey, Delivery, Endpoint, EndpointCreate, EndpointPatch, ReplayJob, RequestBody, TestCall } from "../../packages/client/src/index.ts";
import { TocsinApiError, createApiClient, resolveApiKey, unwrap } from "./client.ts";
import { EXAMPLES_HELP, runExamples } from "./examples.ts";
import { LISTEN_HELP, LISTEN_OPTIONS, runListen } from "./listen.ts";
import { apiRegistrar } from "./listen-register.ts";
import { runVerify, VERIFY_HELP } from "./verify.ts";
import { parseHeader, parseHeaderList } from "../../packages/client/src/index.ts";

type Env = Record<string, string | undefined>;
type Out = { out: (s: string) => void; err: (s: string) => void };

class UsageError extends Error {}

function showHelp(io: Out, text: string): number {
  io.out(text);
  return 0;
}

const SETTINGS_HELP = `Settings:
  --method POST|PUT           HTTP method of deliveries (default POST)
  --headers "A: 1, B: 2"      Extra request headers as one list. Entries are separated by newlines,
                              or by a comma followed by a header name and a colon (", B:"); any
                              other comma stays in the value ("Accept: a/b, c/d" is one header), as
                              does ", https://..." (a colon followed by //). Spaces around names and
                              values are trimmed; a comma ending the list is dropped. For a value
                              that holds ", Name:" use --header.
  --header "Name: value"      One extra header, split at the first colon (repeatable)
  --basic-auth USER:PASSWORD  HTTP basic auth (split at the first colon)
  --basic-auth-env VAR        The same, read from environment variable VAR
  --bearer-token TOKEN        Sends Authorization: Bearer TOKEN
  --bearer-token-env VAR      The same, read from environment variable VAR
  --client-cert FILE          Client certificate (PEM) for mutual TLS, with --client-key
  --client-key FILE           Its private key (unencrypted PEM)
  --ca FILE                   Extra CA certificates (PEM) trusted for the receiver
  --skip-verify               Do not check the receiver's certificate (warned about)
  --no-skip-verify            Check it again (the default)
  --connect-timeout MS        Connect timeout in ms (default 20000, at most the server's limit)
  --request-timeout MS        Request timeout in ms (default 15000, at most the server's limit)
  --min-severity LEVEL        Deliver only events of LEVEL or above: info, low, medium, high,
                              critical (events without a severity are then skipped); none: all
  --signing SCHEME            standard (Standard Webhooks; default), hmac-sha256 or none (unsigned)
  --signature-header NAME     hmac-sha256: the header carrying the signature (required)
  --signature-encoding ENC    hmac-sha256: hex (default) or base64
  --signature-prefix TEXT     hmac-sha256: text before the digest, e.g. sha256=
  --timestamp-header NAME     hmac-sha256: sign "<unix seconds>:<body>" and send the time in NAME
  --validation MODE           none (default); token-path: <url>/<token> must answer 2xx; challenge:
                              a signed POST whose challenge must be echoed. Deliveries wait for it.
  --validation-method METHOD  Method of the token-path request: POST (default), PUT or GET
  --envelope FORMAT           raw (default: the payload as is), standard ({"type", "timestamp",
                              "data"}), array ([payload], as Wallarm) or ndjson (one line each)
  --transform EXPR            JSONata expression giving the body from the event document (custom
                              field names), e.g. '{"alert": payload.name, "sev": severity}';
                              '' removes it
  --ongoing-interval SECONDS  Alert updates: at most one ongoing update per alert per interval
                              (default 300; 0: every update)
  --send-resolved / --no-send-resolved
                              Whether end (resolved) updates are sent (default: sent)
  --rate-limit N[/BURST]      At most N requests a second to this endpoint (fractions allowed), with
                              bursts of up to BURST (default N rounded up), across every worker;
                              deliveries beyond it wait. off: no limit
  --batch N[/MS]              Up to N events a request, sent when N wait or the oldest has waited
                              MS milliseconds (default 1000); needs --envelope array or ndjson.
                              'off' sends one event a request again

Secrets given as flags (--basic-auth, --bearer-token, --secret) are visible to other users of this
machine in 'ps' and stay in your shell history: prefer --basic-auth-env and --bearer-token-env.`;

const HELP: Record<string, string> = {
  main: `Usage: tocsin <command> [options]

Server:
  serve                   Run the API and the delivery workers in one process
  api                     Run the API only (PostgreSQL)
  worker                  Run the delivery workers only (PostgreSQL)
  migrate                 Apply database migrations and exit
  backup                  Copy the embedded SQLite database to a file, while serving
  keys rotate-master      Re-encrypt every stored secret under a new master key
  keys create             Create an admin key, or a tenant key with --tenant
  keys list               List keys (never the keys themselves)
  keys revoke             Revoke a key
  portal-session          Create a short-lived customer console session for a tenant

Client (talk to a running server; --url / TOCSIN_URL, --api-key / TOCSIN_API_KEY):
  tenant create           Create a tenant
  endpoint add            Add an endpoint to a tenant, with any of its settings
  endpoint update         Change an endpoint's URL, event types or settings
  endpoint show           Show an endpoint's settings and status
  endpoint list           List a tenant's endpoints
  endpoint test           Send a test delivery now and show the receiver's answer
  endpoint validate       Run the endpoint's validation (token-path or challenge) now
  endpoint pause          Pause deliveries to an endpoint (they wait until resumed)
  endpoint resume         Resume a paused endpoint
  endpoint secret         Print an endpoint's signing secret
  endpoint rotate-secret  Issue a new signing secret
  endpoint replay         Resend an endpoint's failed deliveries (or all events) of a time range
  endpoint rm             Delete an endpoint
  send                    Post an event from a file or stdin
  deliveries              List deliveries
  examples list           List the ready-made vendor integrations
  examples load           Load one (event types, tenant, endpoint) into the server

Receiver (the other end: try and check webhooks):
  listen                  Run a local receiver that shows each webhook and checks its signature
  verify                  Check a saved request's signature (exit 0 verified, 1 not)

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
  "keys rotate-master": `Usage: tocsin keys rotate-master [--data-dir DIR] [--database-url URL]

Re-encrypts every stored secret (signing secrets, passwords, tokens, client keys) under the
current master key, then moves the database's check value to it.

PostgreSQL, while serving:
  1. Restart every process with TOCSIN_MASTER_KEY=<new> and TOCSIN_PREVIOUS_MASTER_KEYS=<old>
     (rolling; each process reads both and writes under the new one).
  2. Run this command with the same two variables.
  3. Restart the processes without TOCSIN_PREVIOUS_MASTER_KEYS.

Embedded SQLite (the key in <data-dir>/master-key): while 'tocsin serve' runs, the server rotates
its own key (this command asks it through the API: --url, --api-key as for client commands);
with it stopped, this command does the same itself. A new key goes into <data-dir>/master-key,
the old one stays in <data-dir>/master-key.previous until every secret is re-encrypted. An
interrupted rotation resumes when 'serve' starts or this command runs again.
With TOCSIN_MASTER_KEY set, keys are yours to manage: set TOCSIN_PREVIOUS_MASTER_KEYS as above.`,
  migrate: `Usage: tocsin migrate [--data-dir DIR] [--database-url URL]

Applies pending migrations and exits. Idempotent, and safe from several processes at once.`,
  backup: BACKUP_HELP,
  listen: LISTEN_HELP,
  verify: VERIFY_HELP,
  "tenant create": `Usage: tocsin tenant create [--id ID] [--name NAME] [--json]

Creates a tenant. ID is your own customer id ([A-Za-z0-9._:-], up to 128); generated when omitted.`,
  "endpoint add": `Usage: tocsin endpoint add --tenant ID [--event-types a.b,c.*] [--name NAME] [--description TEXT]
                           [--secret SECRET] [--disabled] [SETTINGS] [--json] RECEIVER_URL

Adds an endpoint delivering to RECEIVER_URL (or --receiver-url URL; --url names the Tocsin server,
as for every client command). --event-types defaults to '*' (every type except tocsin.*). Prints
the endpoint's settings and its signing secret; warnings go to stderr.

${SETTINGS_HELP}`,
  "endpoint update": `Usage: tocsin endpoint update --tenant ID --id ENDPOINT_ID [CHANGES] [SETTINGS] [--json]

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

${SETTINGS_HELP}`,
  "endpoint show": `Usage: tocsin endpoint show --tenant ID --id ENDPOINT_ID [--json]

Shows the endpoint's settings and status (secrets only as "set"); warnings go to stderr.`,
  "endpoint list": `Usage: tocsin endpoint list --tenant ID [--json]`,
  "endpoint test": `Usage: tocsin endpoint test --tenant ID --id ENDPOINT_ID [--event-type TYPE] [--verbose] [--json]

Sends one test delivery now, through the endpoint's real settings, outside the queue: the event
type's example payload with --event-type, else a small built-in one. Prints the request line, the
receiver's status, the time taken and its response body, or the error. --verbose adds the request
(credentials redacted) and response headers. Exits 0 when the receiver answered 2xx, else 1.`,
  "endpoint validate": `Usage: tocsin endpoint validate --tenant ID --id ENDPOINT_ID [--verbose] [--json]

Runs the endpoint's validation (--validation token-path or challenge) now and records the result;
deliveries wait until it passes. Prints the result, the endpoint's status and the request made
(--verbose: with headers). Exits 0 when it passed, else 1 (also when the endpoint has no validation).`,
  "endpoint pause": `Usage: tocsin endpoint pause --tenant ID --id ENDPOINT_ID [--json]

Pauses deliveries to the endpoint: new events still queue deliveries for it, which wait.`,
  "endpoint resume": `Usage: tocsin endpoint resume --tenant ID --id ENDPOINT_ID [--json]

Resumes a paused endpoint; the deliveries that waited go out.`,
  "endpoint secret": `Usage: tocsin endpoint secret --tenant ID --id ENDPOINT_ID [--json]

Prints the endpoint's signing secret (only the secret, for scripts).`,
  "endpoint rotate-secret": `Usage: tocsin endpoint rotate-secret --tenant ID --id ENDPOINT_ID [--secret SECRET] [--json]

Issues a new signing secret (generated unless --secret gives one) and prints it. Where the
signature header can hold several signatures (standard), the previous secret keeps signing
alongside for 24 hours; otherwise the new one applies at once. The output says which.`,
  "endpoint rm": `Usage: tocsin endpoint rm --tenant ID --id ENDPOINT_ID`,
  "endpoint replay": `Usage: tocsin endpoint replay --tenant ID --id ENDPOINT_ID --since TIME [--until TIME] [--status failed|all] [--no-wait] [--json]

Starts a replay job and follows it with a progress bar (on stderr) until it finishes.
  --since TIME     Start of the range: an ISO date-time (2026-11-23T08:00:00Z) or a duration ago (2h, 3d)
  --until TIME     End of the range, exclusive (default: now)
  --status failed  Queue the endpoint's failed deliveries of the range again (default)
  --status all     Send every event of the range the endpoint subscribes to now, even those delivered
                   (those still pending are left alone)
  --no-wait        Print the job and return at once (follow it with GET /v1/tenants/ID/replays/RPL_ID)
The same replay asked again within a day is the same job: nothing is sent twice. Exits 0 when the
job completed, 1 when it was cancelled (the endpoint was deleted).`,
  "keys create": `Usage: tocsin keys create --name NAME [--tenant ID --scopes events:write,endpoints:write,read] [--expires-at ISO] [--json]

Without --tenant: an admin key (every tenant, every route). With --tenant: a key that sees only
that tenant, with the given scopes (default: read). Prints the key once: store it now.
Rotation without downtime: create a new key, move clients to it, then revoke the old one.`,
  "keys list": `Usage: tocsin keys list [--tenant ID] [--kind admin|tenant|portal] [--json]`,
  "keys revoke": `Usage: tocsin keys revoke --id KEY_ID [--tenant ID]`,
  "portal-session": `Usage: tocsin portal-session --tenant ID [--ttl SECONDS] [--json]

Creates a customer console session for one tenant (endpoints:write and read, never events:write),
valid for --ttl seconds (default 3600, at most 86400). Prints the URL and the token.`,
  send: `Usage: tocsin send --tenant ID [--type TYPE] [--severity LEVEL] [--fingerprint KEY [--state start|ongoing|end]] [--file FILE | -] [--idempotency-key KEY] [--json]

With --type, the file (or stdin) holds the payload. Without it, the file holds what the API takes:
an event {"type", "severity", "payload", "idempotencyKey"} or an array of them. Numbers keep their
exact text. --severity (info, low, medium, high, critical; with --type) lets endpoints filter on
it (--min-severity). --fingerprint names the alert the event updates and --state its phase
(default start); endpoints throttle ongoing updates (--ongoing-interval).`,
  "examples load": EXAMPLES_HELP.load,
  "examples list": EXAMPLES_HELP.list,
  deliveries: `Usage: tocsin deliveries --tenant ID [--endpoint ID] [--event ID] [--status STATUS] [--limit N] [--json]

Lists deliveries, newest first. STATUS: pending, delivering, succeeded, failed, cancelled.`,
};

const clientOptions = {
  url: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type OptionSpecs = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

function parse<T extends OptionSpecs>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function parseWithPositionals<T extends OptionSpecs>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
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

function table(rows: Record<string, unknown>[], cols: string[]): string {
  if (rows.length === 0) return "(none)";
  const cells = rows.map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? "-" : String(r[c]))));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [line(cols), ...cells.map(line)].join("\n");
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function readInput(file: string | undefined): Promise<string> {
  if (file && file !== "-") return readFileSync(file, "utf8");
  return (await readStdin()).toString("utf8");
}

// ---- endpoint settings flags ----

const SEVERITIES = ["info", "low", "medium", "high", "critical"];

/** The setting flags `endpoint add` and `endpoint update` share. */
const settingOptions = {
  method: { type: "string" },
  header: { type: "string", multiple: true },
  headers: { type: "string" },
  "basic-auth": { type: "string" },
  "basic-auth-env": { type: "string" },
  "bearer-token": { type: "string" },
  "bearer-token-env": { type: "string" },
  "client-cert": { type: "string" },
  "client-key": { type: "string" },
  ca: { type: "string" },
  "skip-verify": { type: "boolean" },
  "no-skip-verify": { type: "boolean" },
  "connect-timeout": { type: "string" },
  "request-timeout": { type: "string" },
  "min-severity": { type: "string" },
  signing: { type: "string" },
  "signature-header": { type: "string" },
  "signature-encoding": { type: "string" },
  "signature-prefix": { type: "string" },
  "timestamp-header": { type: "string" },
  validation: { type: "string" },
  "validation-method": { type: "string" },
  envelope: { type: "string" },
  transform: { type: "string" },
  "ongoing-interval": { type: "string" },
  "send-resolved": { type: "boolean" },
  "no-send-resolved": { type: "boolean" },
  batch: { type: "string" },
  "rate-limit": { type: "string" },
  "receiver-url": { type: "string" },
  "event-types": { type: "string" },
  name: { type: "string" },
  description: { type: "string" },
} as const;

/** Flags only `endpoint update` takes. */
const updateOptions = {
  id: { type: "string" },
  enable: { type: "boolean" },
  disable: { type: "boolean" },
  "remove-header": { type: "string", multiple: true },
  "no-auth": { type: "boolean" },
  "no-client-cert": { type: "boolean" },
  "no-ca": { type: "boolean" },
  "keep-headers": { type: "boolean" },
} as const;

interface SettingFlags {
  method?: string;
  header?: string[];
  headers?: string;
  "basic-auth"?: string;
  "basic-auth-env"?: string;
  "bearer-token"?: string;
  "bearer-token-env"?: string;
  "client-cert"?: string;
  "client-key"?: string;
  ca?: string;
  "skip-verify"?: boolean;
  "no-skip-verify"?: boolean;
  "connect-timeout"?: string;
  "request-timeout"?: string;
  "min-severity"?: string;
  signing?: string;
  "signature-header"?: string;
  "signature-encoding"?: string;
  "signature-prefix"?: string;
  "timestamp-header"?: string;
  validation?: string;
  "validation-method"?: string;
  envelope?: string;
  transform?: string;
  "ongoing-interval"?: string;
  "send-resolved"?: boolean;
  "no-send-resolved"?: boolean;
  batch?: string;
  "rate-limit"?: string;
  "remove-header"?: string[];
  "no-auth"?: boolean;
  "no-client-cert"?: boolean;
  "no-ca"?: boolean;
}

type EndpointDoc = Endpoint;

type TestCallDoc = TestCall;

function oneOf(v: string, flag: string, allowed: string[], caseInsensitive = false): string {
  const x = caseInsensitive ? v.toUpperCase() : v;
  if (!allowed.includes(x)) throw new UsageError(`--${flag} must be ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}, not ${JSON.stringify(v)}`);
  return x;
}

function exclusive(v: Record<string, unknown>, flags: string[]): void {
  const given = flags.filter((f) => v[f] !== undefined && v[f] !== false);
  if (given.length > 1) throw new UsageError(`${given.map((f) => `--${f}`).join(" and ")} cannot be combined`);
}

function milliseconds(v: string, flag: string): number {
  if (!/^\d{1,9}$/.test(v)) throw new UsageError(`--${flag} must be a whole number of milliseconds, not ${JSON.stringify(v)}`);
  return Number(v);
}

function fromEnv(env: Env, name: string, flag: string): string {
  const v = env[name];
  if (v === undefined || v === "") throw new UsageError(`--${flag}: environment variable ${name} is not set`);
  return v;
}

function readPem(file: string, flag: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read --${flag} ${file}: ${(e as Error).message}`);
  }
}

function eventTypesOf(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

/** Headers from --headers and --header; a name given twice (any case) is a usage error. */
function headerFlags(v: SettingFlags): { list: Record<string, string> | undefined; single: [string, string][] } {
  let list: Record<string, string> | undefined;
  const single: [string, string][] = [];
  try {
    if (v.headers !== undefined) list = parseHeaderList(v.headers);
  } catch (e) {
    throw new UsageError(`--headers: ${(e as Error).message}`);
  }
  for (const h of v.header ?? []) {
    try {
      single.push(parseHeader(h));
    } catch (e) {
      throw new UsageError(`--header: ${(e as Error).message}`);
    }
  }
  const seen = new Set(Object.keys(list ?? {}).map((n) => n.toLowerCase()));
  for (const [name] of single) {
    if (seen.has(name.toLowerCase())) throw new UsageError(`header ${name} is given twice (header names are case-insensitive)`);
    seen.add(name.toLowerCase());
  }
  return { list, single };
}

const lowerKey = (obj: Record<string, unknown>, name: string) => Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());

/**
 * The settings part of a create body or a PATCH from the flags. `current` is the endpoint as it is
 * (update only); it is fetched only when a flag needs it (headers, signature details).
 */
async function settingsFromFlags(v: SettingFlags, env: Env, io: Out, current?: () => Promise<EndpointDoc>): Promise<Record<string, unknown>> {
  const update = current !== undefined;
  const body: Record<string, unknown> = {};
  if (v.method !== undefined) body.method = oneOf(v.method, "method", ["POST", "PUT"], true);

  // headers
  const { list, single } = headerFlags(v);
  if (!update) {
    const h = { ...list, ...Object.fromEntries(single) };
    if (Object.keys(h).length) body.headers = h;
  } else if (list !== undefined || single.length || v["remove-header"]?.length) {
    const have = (await current()).headers;
    const want: Record<string, string> = list ?? { ...have };
    for (const [name, value] of single) {
      const k = lowerKey(want, name);
      if (k !== undefined) delete want[k];
      want[name] = value;
    }
    for (const name of v["remove-header"] ?? []) {
      if (single.some(([n]) => n.toLowerCase() === name.toLowerCase())) throw new UsageError(`header ${name} is both set and removed`);
      const k = lowerKey(want, name);
      if (k === undefined) io.err(`warning: the endpoint has no header ${name} to remove`);
      else delete want[k];
    }
    // A merge patch from what is there to what is wanted. The API compares names
    // case-insensitively (x-a replaces X-A), so a name appears once in the patch.
    const patch: Record<string, string | null> = {};
    for (const k of Object.keys(have)) if (lowerKey(want, k) === undefined) patch[k] = null;
    for (const [k, val] of Object.entries(want)) if (have[k] !== val) patch[k] = val;
    if (Object.keys(patch).length) body.headers = patch;
  }

  // auth
  exclusive(v as Record<string, unknown>, ["basic-auth", "basic-auth-env", "bearer-token", "bearer-token-env", "no-auth"]);
  const basic = v["basic-auth"] ?? (v["basic-auth-env"] !== undefined ? fromEnv(env, v["basic-auth-env"], "basic-auth-env") : undefined);
  const bearer = v["bearer-token"] ?? (v["bearer-token-env"] !== undefined ? fromEnv(env, v["bearer-token-env"], "bearer-token-env") : undefined);
  if (basic !== undefined) {
    const colon = basic.indexOf(":");
    if (colon < 0) throw new UsageError("--basic-auth must be USER:PASSWORD (split at the first colon)");
    body.auth = { type: "basic", username: basic.slice(0, colon), password: basic.slice(colon + 1) };
  } else if (bearer !== undefined) {
    if (bearer === "") throw new UsageError("--bearer-token must not be empty");
    body.auth = { type: "bearer", token: bearer };
  } else if (v["no-auth"]) {
    body.auth = { type: "none" };
  }

  // tls
  exclusive(v as Record<string, unknown>, ["skip-verify", "no-skip-verify"]);
  exclusive(v as Record<string, unknown>, ["client-cert", "no-client-cert"]);
  exclusive(v as Record<string, unknown>, ["client-key", "no-client-cert"]);
  exclusive(v as Record<string, unknown>, ["ca", "no-ca"]);
  const tls: Record<string, unknown> = {};
  if (v["client-cert"] !== undefined) tls.clientCert = readPem(v["client-cert"], "client-cert");
  if (v["client-key"] !== undefined) tls.clientKey = readPem(v["client-key"], "client-key");
  if (v["no-client-cert"]) Object.assign(tls, { clientCert: null, clientKey: null });
  if (v.ca !== undefined) tls.ca = readPem(v.ca, "ca");
  if (v["no-ca"]) tls.ca = null;
  if (v["skip-verify"]) tls.skipVerify = true;
  if (v["no-skip-verify"]) tls.skipVerify = false;
  if (Object.keys(tls).length) body.tls = tls;

  // timeouts
  const timeouts: Record<string, number> = {};
  if (v["connect-timeout"] !== undefined) timeouts.connectMs = milliseconds(v["connect-timeout"], "connect-timeout");
  if (v["request-timeout"] !== undefined) timeouts.requestMs = milliseconds(v["request-timeout"], "request-timeout");
  if (Object.keys(timeouts).length) body.timeouts = timeouts;

  if (v["min-severity"] !== undefined) {
    const level = oneOf(v["min-severity"], "min-severity", [...SEVERITIES, "none"]);
    body.minSeverity = level === "none" ? null : level;
  }

  // signing
  const signing: Record<string, unknown> = {};
  if (v.signing !== undefined) signing.scheme = oneOf(v.signing, "signing", ["standard", "hmac-sha256", "none"]);
  const details = (["signature-header", "signature-encoding", "signature-prefix", "timestamp-header"] as const).filter((f) => v[f] !== undefined);
  if (details.length) {
    const scheme = (signing.scheme as string | undefined) ?? (update ? (await current()).signing.scheme : "standard");
    if (scheme !== "hmac-sha256") {
      throw new UsageError(`--${details[0]} applies to --signing hmac-sha256 only (the endpoint's scheme would be ${scheme})`);
    }
    if (v["signature-header"] !== undefined) signing.header = v["signature-header"];
    if (v["signature-encoding"] !== undefined) signing.encoding = oneOf(v["signature-encoding"], "signature-encoding", ["hex", "base64"]);
    if (v["signature-prefix"] !== undefined) signing.prefix = v["signature-prefix"];
    if (v["timestamp-header"] !== undefined) signing.timestampHeader = v["timestamp-header"] === "" ? null : v["timestamp-header"];
  }
  if (Object.keys(signing).length) body.signing = signing;

  // validation
  const validation: Record<string, unknown> = {};
  if (v.validation !== undefined) validation.mode = oneOf(v.validation, "validation", ["none", "token-path", "challenge"]);
  if (v["validation-method"] !== undefined) validation.method = oneOf(v["validation-method"], "validation-method", ["POST", "PUT", "GET"], true);
  if (Object.keys(validation).length) body.validation = validation;
  const format: Record<string, unknown> = {};
  if (v.envelope !== undefined) format.envelope = oneOf(v.envelope, "envelope", ["raw", "standard", "array", "ndjson"]);
  if (v.transform !== undefined) format.transform = v.transform === "" ? null : v.transform;
  if (Object.keys(format).length) body.format = format;

  // alert lifecycle and batching
  const lifecycle: Record<string, unknown> = {};
  if (v["ongoing-interval"] !== undefined) {
    if (!/^\d{1,6}$/.test(v["ongoing-interval"])) throw new UsageError(`--ongoing-interval must be a whole number of seconds, not ${JSON.stringify(v["ongoing-interval"])}`);
    lifecycle.ongoingIntervalSec = Number(v["ongoing-interval"]);
  }
  exclusive(v as Record<string, unknown>, ["send-resolved", "no-send-resolved"]);
  if (v["send-resolved"]) lifecycle.sendResolved = true;
  if (v["no-send-resolved"]) lifecycle.sendResolved = false;
  if (Object.keys(lifecycle).length) body.lifecycle = lifecycle;
  if (v.batch !== undefined) {
    const m = /^(\d{1,4})(?:\/(\d{1,6}))?$/.exec(v.batch);
    if (v.batch === "off") body.batch = null;
    else if (!m) throw new UsageError(`--batch takes N or N/MS (events, milliseconds) or off, not ${JSON.stringify(v.batch)}`);
    else body.batch = { maxEvents: Number(m[1]), ...(m[2] !== undefined ? { maxWaitMs: Number(m[2]) } : {}) };
  }
  if (v["rate-limit"] !== undefined) {
    const m = /^(\d{1,6}(?:\.\d{1,3})?)(?:\/(\d{1,6}))?$/.exec(v["rate-limit"]);
    if (v["rate-limit"] === "off") body.rateLimit = null;
    else if (!m) throw new UsageError(`--rate-limit takes N or N/BURST (requests a second, burst) or off, not ${JSON.stringify(v["rate-limit"])}`);
    else body.rateLimit = { perSecond: Number(m[1]), ...(m[2] !== undefined ? { burst: Number(m[2]) } : {}) };
  }
  return body;
}

type ReplayDoc = ReplayJob;

/** An ISO date-time as given, or a duration ago ("2h", "3d") as one. */
function timeFlag(v: string, flag: string, now: number): string {
  if (/^\d+(ms|s|m|h|d)$/.test(v)) return new Date(now - parseDuration(v)).toISOString();
  if (!Number.isFinite(Date.parse(v))) throw new UsageError(`--${flag} takes an ISO date-time (2026-11-23T08:00:00Z) or a duration ago (2h, 3d), not ${JSON.stringify(v)}`);
  return v;
}

/** Draws a job's progress on stderr: redrawn in place on a terminal, a line per tenth otherwise. */
function progressBar(io: Out): (job: ReplayDoc, last?: boolean) => void {
  const tty = process.stderr.isTTY === true;
  let shown = -1;
  return (job, last = false) => {
    const pct = Math.floor(job.progress * 100);
    const filled = Math.round(job.progress * 30);
    const line = `[${"#".repeat(filled)}${"-".repeat(30 - filled)}] ${String(pct).padStart(3)}%  ${job.processed}/${job.total} looked at, ${job.queued} queued`;
    if (tty) {
      process.stderr.write(`\r${line}${last ? "\n" : ""}`);
    } else if (last || Math.floor(pct / 10) > shown) {
      shown = Math.floor(pct / 10);
      io.err(line);
    }
  };
}

function certSummary(pem: string): string {
  try {
    const c = new X509Certificate(pem);
    const cn = /CN=([^\n,]+)/.exec(c.subject)?.[1] ?? c.subject.replaceAll("\n", ", ");
    const until = new Date(c.validTo);
    return `${cn} (${until.getTime() < Date.now() ? "expired" : "valid until"} ${until.toISOString().slice(0, 10)})`;
  } catch {
    return "(unreadable)";
  }
}

/** The endpoint's settings, one compact line each (defaults left out where they say nothing). */
function describeEndpoint(e: EndpointDoc): string {
  const rows: [string, string][] = [];
  rows.push(["status", e.status + (e.disabledReason && e.disabledReason !== "manual" ? ` (${e.disabledReason})` : "")]);
  rows.push(["receiver", `${e.method} ${e.url}`]);
  if (e.name) rows.push(["name", e.name]);
  if (e.description) rows.push(["description", e.description]);
  rows.push(["event types", e.eventTypes.length ? e.eventTypes.join(", ") : "(none: receives nothing)"]);
  rows.push(["min severity", e.minSeverity ?? "-"]);
  const headers = Object.entries(e.headers);
  if (headers.length) rows.push(["headers", headers.map(([k, v]) => `${k}: ${v}`).join(", ")]);
  const a = e.auth;
  rows.push(["auth", a.type === "basic" ? `basic, user ${a.username}${a.passwordSet ? ", password set" : ""}` : a.type === "bearer" ? `bearer${a.tokenSet ? ", token set" : ""}` : "none"]);
  const s = e.signing;
  rows.push([
    "signing",
    s.scheme === "hmac-sha256"
      ? `hmac-sha256 in ${s.header}, ${s.encoding}${s.prefix ? `, prefix ${s.prefix}` : ""}${s.timestampHeader ? `, timestamp in ${s.timestampHeader}` : ""}`
      : s.scheme === "standard"
        ? "standard (Standard Webhooks)"
        : "none (unsigned)",
  ]);
  if (e.previousSecretExpiresAt) rows.push(["", `the previous secret also signs until ${e.previousSecretExpiresAt}`]);
  const tls: string[] = [];
  if (e.tls.clientCert) tls.push(`client cert ${certSummary(e.tls.clientCert)}${e.tls.clientKeySet ? ", key set" : ""}`);
  if (e.tls.ca) {
    const n = e.tls.ca.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    tls.push(`extra CA (${n} certificate${n === 1 ? "" : "s"})`);
  }
  if (e.tls.skipVerify) tls.push("skip verify");
  if (tls.length) rows.push(["tls", tls.join("; ")]);
  rows.push(["timeouts", `connect ${e.timeouts.connectMs} ms, request ${e.timeouts.requestMs} ms`]);
  if (e.validation.mode !== "none") {
    const how = e.validation.mode === "token-path" ? `token-path (${e.validation.method})` : "challenge";
    rows.push(["validation", `${how}: ${e.validation.status}${e.validation.error ? ` - ${e.validation.error}` : ""}`]);
  }
  if (e.format) rows.push(["body", `${e.format.envelope}${e.format.transform ? `, transform ${e.format.transform}` : ""}`]);
  if (e.lifecycle) {
    const every = e.lifecycle.ongoingIntervalSec === 0 ? "every ongoing update" : `ongoing at most every ${e.lifecycle.ongoingIntervalSec} s`;
    rows.push(["alert updates", `${every}, end ${e.lifecycle.sendResolved ? "sent" : "not sent"}`]);
  }
  if (e.batch) rows.push(["batch", `up to ${e.batch.maxEvents} events, waiting at most ${e.batch.maxWaitMs} ms`]);
  if (e.rateLimit) rows.push(["rate limit", `${e.rateLimit.perSecond} a second, bursts of ${e.rateLimit.burst}`]);
  const h = e.health;
  if (h) {
    const rate = h.successRate === null ? "no recent attempts" : `${Math.round(h.successRate * 1000) / 10}% of the last ${h.windowAttempts} attempts succeeded`;
    rows.push(["health", `${rate}; circuit ${h.circuit}${h.circuitUntil ? ` until ${h.circuitUntil}` : ""}`]);
    if (h.lastSuccessAt) rows.push(["", `last success ${h.lastSuccessAt}`]);
    if (h.lastFailureAt) rows.push(["", `last failure ${h.lastFailureAt}: ${h.lastFailureReason ?? "-"}`]);
    if (h.failingSince) rows.push(["", `failing since ${h.failingSince} (${h.consecutiveFailures} failed in a row)${h.disableAt ? `; disabled at ${h.disableAt} unless it recovers` : ""}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, val]) => `  ${k.padEnd(width)}  ${val}`).join("\n");
}

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
    case "examples load":
    case "examples list":
      return runExamples(cmd, args, env, io, (m) => new UsageError(m));
    case "tenant create": {
      const v = parse(args, { ...clientOptions, id: { type: "string" }, name: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const body: RequestBody<"/v1/tenants", "post"> = {};
      if (v.id) body.id = v.id;
      if (v.name) body.name = v.name;
      const t = await unwrap(client(v, env).POST("/v1/tenants", { body }));
      print(v.json, t, () => `created tenant ${t.id}`);
      return 0;
    }
    case "endpoint add": {
      const parsed = parseWithPositionals(args, { ...clientOptions, ...settingOptions, tenant: { type: "string" }, secret: { type: "string" }, disabled: { type: "boolean" } });
      const v = parsed.values;
      if (v.help) return showHelp(io, HELP[cmd]);
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
      const { secret } = await unwrap(api.GET("/v1/tenants/{tenant}/endpoints/{id}/secret", { params: { path: { tenant, id: ep.id } } }));
      print(v.json, { ...ep, secret }, () => `created endpoint ${ep.id} -> ${ep.url}\n${describeEndpoint(ep)}\nsigning secret: ${secret}`);
      printWarnings(io, ep);
      return 0;
    }
    case "endpoint update": {
      const v = parse(args, { ...clientOptions, ...settingOptions, ...updateOptions, tenant: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
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
      if (ep.cleared?.length) io.err(`note: the URL moved to another origin, so these were cleared: ${ep.cleared.join(", ")}; set them again if the new receiver needs them`);
      return 0;
    }
    case "endpoint show": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const api = client(v, env);
      const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
      const ep = await unwrap(api.GET("/v1/tenants/{tenant}/endpoints/{id}", { params: { path } }));
      print(v.json, ep, () => `endpoint ${ep.id} -> ${ep.url}\n${describeEndpoint(ep)}`);
      printWarnings(io, ep);
      return 0;
    }
    case "endpoint pause":
    case "endpoint resume": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
      const resume = cmd === "endpoint resume";
      const ep = await unwrap(client(v, env).PATCH("/v1/tenants/{tenant}/endpoints/{id}", { params: { path }, body: { enabled: resume } }));
      print(v.json, ep, () => `${resume ? "resumed" : "paused"} endpoint ${ep.id} (status ${ep.status})`);
      return 0;
    }
    case "endpoint secret": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const api = client(v, env);
      const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
      const r = await unwrap(api.GET("/v1/tenants/{tenant}/endpoints/{id}/secret", { params: { path } }));
      print(v.json, r, () => r.secret);
      return 0;
    }
    case "endpoint rotate-secret": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" }, secret: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
      const body = v.secret !== undefined ? { secret: v.secret } : {};
      const r = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/endpoints/{id}/secret/rotate", { params: { path }, body }));
      print(v.json, r, () => `new signing secret: ${r.secret}\n${r.detail}`);
      return 0;
    }
    case "endpoint test": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" }, "event-type": { type: "string" }, verbose: { type: "boolean", short: "v" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
      const body = v["event-type"] !== undefined ? { eventType: v["event-type"] } : {};
      const r = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/endpoints/{id}/test", { params: { path }, body }));
      print(v.json, r, () => describeCall(r, v.verbose));
      return is2xx(r) ? 0 : 1;
    }
    case "endpoint validate": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" }, verbose: { type: "boolean", short: "v" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
      const r = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/endpoints/{id}/validate", { params: { path } }));
      const val = r.endpoint.validation;
      print(v.json, r, () =>
        [
          `validation ${val.status}${val.error ? `: ${val.error}` : ""}`,
          `status:   ${r.endpoint.status}`,
          describeCall(r.result, v.verbose),
        ].join("\n"),
      );
      return val.status === "passed" ? 0 : 1;
    }
    case "endpoint list": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
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
    }
    case "endpoint replay": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" }, since: { type: "string" }, until: { type: "string" }, status: { type: "string" }, "no-wait": { type: "boolean" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const tenant = required(v.tenant, "tenant");
      const now = Date.now();
      const body: RequestBody<"/v1/tenants/{tenant}/endpoints/{id}/replay", "post"> = { since: timeFlag(required(v.since, "since"), "since", now) };
      if (v.until !== undefined) body.until = timeFlag(v.until, "until", now);
      if (v.status !== undefined) body.status = oneOf(v.status, "status", ["failed", "all"]) as "failed" | "all";
      const api = client(v, env);
      let job: ReplayDoc = await unwrap(api.POST("/v1/tenants/{tenant}/endpoints/{id}/replay", { params: { path: { tenant, id: required(v.id, "id") } }, body }));
      if (!v["no-wait"]) {
        const bar = progressBar(io);
        // Bounded: a day of polling at most; the job goes on in the server if the CLI stops.
        for (let i = 0; job.state === "running" && i < 172_800; i++) {
          bar(job);
          await new Promise((r) => setTimeout(r, 500));
          job = await unwrap(api.GET("/v1/tenants/{tenant}/replays/{id}", { params: { path: { tenant, id: job.id } } }));
        }
        bar(job, true);
      }
      print(v.json, job, () =>
        job.state === "running"
          ? `replay ${job.id} started: ${job.total} to look at (follow it with: GET /v1/tenants/${tenant}/replays/${job.id})`
          : `replay ${job.id} ${job.state}: ${job.queued} deliveries queued, ${job.skipped} skipped, of ${job.processed} looked at`,
      );
      return job.state === "cancelled" ? 1 : 0;
    }
    case "endpoint rm": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const api = client(v, env);
      const path = { tenant: required(v.tenant, "tenant"), id: required(v.id, "id") };
      await unwrap(api.DELETE("/v1/tenants/{tenant}/endpoints/{id}", { params: { path } }));
      io.out(`deleted endpoint ${v.id}`);
      return 0;
    }
    case "keys create": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, name: { type: "string" }, scopes: { type: "string" }, "expires-at": { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const name = required(v.name, "name");
      const expiresAt = v["expires-at"] ? v["expires-at"] : undefined;
      if (v.scopes !== undefined && !v.tenant) throw new UsageError("--scopes needs --tenant: admin keys have every scope");
      const api = client(v, env);
      // The server checks the scope names.
      const scopes = (v.scopes ?? "read").split(",").map((x) => x.trim()).filter(Boolean) as RequestBody<"/v1/tenants/{tenant}/keys", "post">["scopes"];
      const k = v.tenant
        ? await unwrap(api.POST("/v1/tenants/{tenant}/keys", { params: { path: { tenant: v.tenant } }, body: { name, expiresAt, scopes } }))
        : await unwrap(api.POST("/v1/keys", { body: { name, expiresAt } }));
      print(v.json, k, () => `created ${k.kind} key ${k.id}${v.tenant ? ` for tenant ${v.tenant} (${k.scopes.join(", ")})` : ""}\n${k.key}\nThis is the only time the key is shown.`);
      return 0;
    }
    case "keys list": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, kind: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      // The server checks the kind.
      const query = { kind: (v.kind || undefined) as ApiKey["kind"] | undefined };
      const api = client(v, env);
      const page = v.tenant
        ? await unwrap(api.GET("/v1/tenants/{tenant}/keys", { params: { path: { tenant: v.tenant }, query } }))
        : await unwrap(api.GET("/v1/keys", { params: { query } }));
      const rows = page.data.map((k) => ({ ...k, scopes: k.scopes.join(",") }));
      print(v.json, page, () => table(rows, ["id", "kind", "tenantId", "name", "prefix", "scopes", "expiresAt", "revokedAt"]));
      return 0;
    }
    case "keys revoke": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, id: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      const id = required(v.id, "id");
      const api = client(v, env);
      await unwrap(v.tenant ? api.DELETE("/v1/tenants/{tenant}/keys/{id}", { params: { path: { tenant: v.tenant, id } } }) : api.DELETE("/v1/keys/{id}", { params: { path: { id } } }));
      io.out(`revoked key ${v.id}`);
      return 0;
    }
    case "portal-session": {
      const v = parse(args, { ...clientOptions, tenant: { type: "string" }, ttl: { type: "string" } });
      if (v.help) return showHelp(io, HELP[cmd]);
      if (v.ttl !== undefined && !/^\d+$/.test(v.ttl)) throw new UsageError("--ttl must be a number of seconds");
      const body = v.ttl === undefined ? {} : { ttlSeconds: Number(v.ttl) };
      const p = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/portal-sessions", { params: { path: { tenant: required(v.tenant, "tenant") } }, body }));
      print(v.json, p, () => `${p.url}\ntoken: ${p.token}\nexpires: ${p.expiresAt}`);
      return 0;
    }
    case "send": {
      const v = parse(args, {
        ...clientOptions,
        tenant: { type: "string" },
        type: { type: "string" },
        severity: { type: "string" },
        fingerprint: { type: "string" },
        state: { type: "string" },
        file: { type: "string" },
        "idempotency-key": { type: "string" },
      });
      if (v.help) return showHelp(io, HELP[cmd]);
      const tenant = required(v.tenant, "tenant");
      if (v.severity !== undefined) oneOf(v.severity, "severity", SEVERITIES);
      if (!v.type && v.severity !== undefined) throw new UsageError("--severity needs --type (put severity in the event document otherwise)");
      if (v.state !== undefined) oneOf(v.state, "state", ["start", "ongoing", "end"]);
      if (v.state !== undefined && v.fingerprint === undefined) throw new UsageError("--state needs --fingerprint (the alert whose state it is)");
      if (!v.type && v.fingerprint !== undefined) throw new UsageError("--fingerprint needs --type (put fingerprint in the event document otherwise)");
      const text = (await readInput(v.file)).trim();
      try {
        JSON.parse(text);
      } catch (e) {
        throw new UsageError(`the input is not valid JSON: ${(e as Error).message}`);
      }
      let body = text;
      if (v.type) {
        // Splice the payload text in as is, so numbers keep their exact source text.
        const extra = [
          v.severity !== undefined ? `"severity":${JSON.stringify(v.severity)},` : "",
          v.fingerprint !== undefined ? `"fingerprint":${JSON.stringify(v.fingerprint)},` : "",
          v.state !== undefined ? `"state":${JSON.stringify(v.state)},` : "",
          v["idempotency-key"] ? `"idempotencyKey":${JSON.stringify(v["idempotency-key"])},` : "",
        ].join("");
        body = `{"type":${JSON.stringify(v.type)},${extra}"payload":${text}}`;
      } else if (v["idempotency-key"]) {
        throw new UsageError("--idempotency-key needs --type (put idempotencyKey in the event document otherwise)");
      }
      // The text goes out as it is, so numbers keep their exact source text; the server checks it.
      const events = JSON.parse(body) as RequestBody<"/v1/tenants/{tenant}/events", "post">;
      const r = await unwrap(client(v, env).POST("/v1/tenants/{tenant}/events", { params: { path: { tenant } }, body: events, bodySerializer: () => body }));
      print(v.json, r, () => {
        const list = "events" in r ? r.events : [r];
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
      const query = {
        endpointId: v.endpoint || undefined,
        eventId: v.event || undefined,
        // The server checks the status and the limit (NaN, for an empty --limit, is "must be integer").
        status: (v.status || undefined) as Delivery["status"] | undefined,
        limit: v.limit === undefined ? 50 : v.limit === "" ? NaN : Number(v.limit),
      };
      const api = client(v, env);
      const page = await unwrap(api.GET("/v1/tenants/{tenant}/deliveries", { params: { path: { tenant: required(v.tenant, "tenant") }, query } }));
      print(v.json, page, () =>
        table(page.data, ["id", "status", "eventType", "endpointId", "attemptCount", "lastStatusCode", "nextAttemptAt", "lastError"]),
      );
      return 0;
    }
  }
  throw new UsageError(`unknown command '${cmd}'`);
}

async function runRotateMaster(args: string[], env: Env, io: Out): Promise<number> {
  const v = parse(args, {
    "data-dir": { type: "string" },
    "database-url": { type: "string" },
    url: { type: "string" },
    "api-key": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) return showHelp(io, HELP["keys rotate-master"]);
  const config = loadConfig(env, { dataDir: v["data-dir"], databaseUrl: v["database-url"] });
  const { createSecretBox, parseMasterKey } = await import("../core/secret-box.ts");
  const { reencryptSecrets } = await import("../services/master-key.ts");
  const progress = (n: number) => io.err(`checked ${n} endpoints`);
  if (config.databaseUrl) {
    if (!config.masterKey || config.previousMasterKeys.length === 0) {
      throw new UsageError("set TOCSIN_MASTER_KEY to the new key and TOCSIN_PREVIOUS_MASTER_KEYS to the old one(s), as every running process has them");
    }
    const box = createSecretBox(parseMasterKey(config.masterKey), config.previousMasterKeys.map(parseMasterKey));
    const { createPostgresStore } = await import("../store/postgres/postgres-store.ts");
    const store = await createPostgresStore({ url: config.databaseUrl, poolSize: 2, schema: "check" });
    try {
      const r = await reencryptSecrets(store, box, progress);
      io.out(`re-encrypted ${r.reencrypted} secrets of ${r.endpoints} endpoints under master key ${box.keyId}; TOCSIN_PREVIOUS_MASTER_KEYS can go`);
    } finally {
      await store.close();
    }
    return 0;
  }
  const { existsSync, readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { openDataDir, generateMasterKey } = await import("../data-dir.ts");
  const { createSqliteStore } = await import("../store/sqlite/sqlite-store.ts");
  const { swappable } = await import("../core/secret-box.ts");
  const { rotateFileMasterKey } = await import("../services/master-key.ts");
  let dir: Awaited<ReturnType<typeof openDataDir>>;
  try {
    dir = openDataDir(config.dataDir);
  } catch (e) {
    if (!(e instanceof DataDirLockedError) || config.masterKey) throw e;
    // 'tocsin serve' holds the data folder: it rotates its own key, online.
    const api = client({ url: v.url, "api-key": v["api-key"] }, { ...env, TOCSIN_DATA_DIR: config.dataDir });
    const r = await unwrap(api.POST("/v1/master-key/rotate", { body: {} }));
    io.out(`re-encrypted ${r.reencrypted} secrets of ${r.endpoints} endpoints under master key ${r.keyId} (by the running server)`);
    return 0;
  }
  try {
    const store = await createSqliteStore({ path: dir.dbPath, synchronous: config.sqliteSynchronous });
    try {
      if (config.masterKey) {
        if (config.previousMasterKeys.length === 0) throw new UsageError("TOCSIN_MASTER_KEY is set: also set TOCSIN_PREVIOUS_MASTER_KEYS to the old key(s)");
        const box = createSecretBox(parseMasterKey(config.masterKey), config.previousMasterKeys.map(parseMasterKey));
        const r = await reencryptSecrets(store, box, progress);
        io.out(`re-encrypted ${r.reencrypted} secrets of ${r.endpoints} endpoints under master key ${box.keyId}`);
        return 0;
      }
      const keyFile = join(config.dataDir, "master-key");
      if (!existsSync(keyFile)) throw new UsageError(`${keyFile} does not exist: there is nothing to rotate`);
      const box = swappable(createSecretBox(parseMasterKey(readFileSync(keyFile, "utf8").trim())));
      const r = await rotateFileMasterKey(config.dataDir, store, box, generateMasterKey);
      io.out(`re-encrypted ${r.reencrypted} secrets of ${r.endpoints} endpoints under master key ${box.keyId}`);
    } finally {
      await store.close();
    }
  } finally {
    dir.release();
  }
  return 0;
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
    if (first === "backup") return await runBackup(argv.slice(1), env, io, (m) => new UsageError(m));
    if (first === "verify") return await runVerify(argv.slice(1), io, (m) => new UsageError(m), readStdin);
    if (first === "listen") {
      const v = parse(argv.slice(1), { ...clientOptions, ...LISTEN_OPTIONS });
      if (v.help) return showHelp(io, HELP.listen);
      return await runListen(v, io, (m) => new UsageError(m), v.tenant === undefined ? null : apiRegistrar(client(v, env)));
    }
    if (first === "keys" && second === "rotate-master") return await runRotateMaster(rest, env, io);
    if (first === "portal-session") return await runClient(first, argv.slice(1), env, io);
    if (first === "send" || first === "deliveries") return await runClient(first, argv.slice(1), env, io);
    if (first === "tenant" || first === "endpoint" || first === "keys" || first === "examples") {
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
    if (e instanceof ConfigError || e instanceof DataDirLockedError || e instanceof TocsinApiError) {
      io.err(`tocsin: ${e.message}`);
      return 1;
    }
    io.err(`tocsin: ${(e as Error).message}${(e as Error).cause ? ` (${String((e as Error).cause)})` : ""}`);
    return 1;
  }
}
