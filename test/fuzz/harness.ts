import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { rmSync } from "node:fs";
import http from "node:http";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { isIP } from "node:net";
import { pino } from "pino";
import { type TestServer, eventually, startServer } from "../support/server.ts";
import { spellingsOf } from "../support/spellings.ts";
import {
  type AuthSpec,
  type BodySpec,
  type FuzzRequest,
  type Limits,
  type Operation,
  type Piece,
  REF_MARK,
  type Ref,
  collectionOf,
  operationsOf,
} from "./routes.ts";
import { pct } from "./requests.ts";
import { nodesOf, setAt } from "./values.ts";
import type { OpenApiDocument } from "../support/openapi.ts";

// ---------------------------------------------------------------------------------------------
// No traffic leaves the machine
//
// Generated bodies may name any receiver URL, and the server contacts receivers on its own
// (deliveries, validation when an endpoint is saved, POST …/test and …/validate). Three layers
// make sure nothing goes further than this process:
//  1. confineBody, on every body just before it is sent: when the body parses as JSON the way the
//     server parses it (JSON.parse of the UTF-8 text, a leading BOM dropped as secure-json-parse
//     does; a body that does not parse is refused by the server and stores nothing), every string
//     in it that is an http(s) URL to the WHATWG parser the server uses, with a host that is not
//     under .invalid (RFC 2606/6761: never resolves) nor a loopback literal, is replaced with
//     https://confined.example.invalid/. Receiver URLs only come from bodies, so the server
//     never learns another host. (Private networks are NOT allowed on this server: it refuses
//     literal loopback and private addresses itself; global literals such as http://8.8.8.8/ are
//     what the rewrite keeps out.) The seeded endpoints use .invalid hosts too.
//  2. The server runs in this process: dns.lookup is replaced with one that fails every name with
//     ENOTFOUND without sending a query, so not even a DNS packet for a .invalid name leaves.
//  3. Every connection undici's clients start is recorded (diagnostics channel
//     undici:client:beforeConnect) and the test fails if one went to a host other than a .invalid
//     name or a loopback address.

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3}|::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4})$/i;

/** A host the fuzzed server may be told about: under .invalid, or a loopback literal. */
export function confinedHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isIP(h)) return LOOPBACK.test(h);
  return h === "invalid" || h.endsWith(".invalid") || h.endsWith(".invalid.");
}

export const CONFINED_URL = "https://confined.example.invalid/";

/** `value` with every http(s) URL whose host is not confined replaced (see above). */
export function confineUrls(value: unknown): unknown {
  if (typeof value === "string") {
    const u = URL.parse(value);
    if (u && (u.protocol === "http:" || u.protocol === "https:") && !confinedHost(u.hostname)) return CONFINED_URL;
    return value;
  }
  if (Array.isArray(value)) return value.map(confineUrls);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: confineUrls(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Every string value inside a parsed JSON document, without recursion (bodies nest 100,000 deep). */
function hasUnconfinedUrl(doc: unknown): boolean {
  const stack: unknown[] = [doc];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === "string") {
      if (confineUrls(x) !== x) return true;
    } else if (Array.isArray(x)) for (const y of x) stack.push(y);
    else if (x && typeof x === "object") for (const y of Object.values(x)) stack.push(y);
  }
  return false;
}

/** `body`, or, when the server would read an unconfined receiver URL in it, a rewritten copy (see above). */
export function confineBody(body: Buffer): Buffer {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString("utf8").replace(/^\uFEFF/, ""));
  } catch {
    return body;
  }
  if (!hasUnconfinedUrl(doc)) return body;
  try {
    return Buffer.from(JSON.stringify(confineUrls(doc)));
  } catch {
    return Buffer.from("null");
  }
}

export interface NetworkGuard {
  /** Hosts undici was asked to connect to. */
  connects: string[];
  /** Names the server tried to resolve (all refused). */
  lookups: string[];
  /** Connections to anything but a .invalid name or loopback. */
  escaped(): string[];
  restore(): void;
}

export function confineNetwork(): NetworkGuard {
  const dns = createRequire(import.meta.url)("node:dns") as typeof import("node:dns");
  const connects: string[] = [];
  const lookups: string[] = [];
  const original = { lookup: dns.lookup, promisesLookup: dns.promises.lookup };
  const refusal = (hostname: string) =>
    Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (name resolution is disabled while fuzzing)`), { code: "ENOTFOUND", syscall: "getaddrinfo", hostname });
  // Literal addresses need no query (listen() looks up "127.0.0.1" too): those go through.
  const lookup = (hostname: string, ...rest: unknown[]) => {
    if (isIP(hostname)) return (original.lookup as (...a: unknown[]) => void)(hostname, ...rest);
    lookups.push(hostname);
    const callback = rest.at(-1) as (err: Error) => void;
    process.nextTick(callback, refusal(hostname));
  };
  dns.lookup = lookup as unknown as typeof dns.lookup;
  dns.promises.lookup = (async (hostname: string, ...rest: unknown[]) => {
    if (isIP(hostname)) return (original.promisesLookup as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest);
    lookups.push(hostname);
    throw refusal(hostname);
  }) as unknown as typeof dns.promises.lookup;
  syncBuiltinESMExports();
  const onConnect = (message: unknown) => {
    const p = (message as { connectParams?: { hostname?: string; host?: string } }).connectParams;
    connects.push(p?.hostname ?? p?.host ?? "?");
  };
  diagnostics.subscribe("undici:client:beforeConnect", onConnect);
  return {
    connects,
    lookups,
    escaped: () => connects.filter((h) => !confinedHost(h)),
    restore() {
      diagnostics.unsubscribe("undici:client:beforeConnect", onConnect);
      dns.lookup = original.lookup;
      dns.promises.lookup = original.promisesLookup;
      syncBuiltinESMExports();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP: node:http sends paths, methods and headers as given (fetch would normalise `../`,
// refuse some headers and methods, and always send one Host).

export interface Wire {
  method: string;
  path: string;
  headers: [string, string][];
  body: Buffer | null;
  chunked: boolean;
}

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function sendOnce(base: URL, agent: http.Agent | false, w: Wire, timeoutMs: number): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: base.hostname, port: base.port, method: w.method, path: w.path, headers: w.headers.flat(), agent, setHost: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "FUZZ_TIMEOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => {
      // The server may answer (413, 401, 415) and close before reading the whole body.
      if (answered) return;
      reject(Object.assign(e, { reusedSocket: req.reusedSocket }));
    });
    if (w.body && w.chunked && w.body.length > 1) {
      const half = w.body.length >> 1;
      req.write(w.body.subarray(0, half));
      req.end(w.body.subarray(half));
    } else req.end(w.body ?? undefined);
  });
}

export async function send(base: URL, agent: http.Agent, w: Wire, timeoutMs = 15_000): Promise<WireResponse> {
  try {
    return await sendOnce(base, agent, w, timeoutMs);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { reusedSocket?: boolean };
    // A kept-alive socket the server had closed after its previous answer: send again on a new one.
    if (err.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE" || /socket hang up/.test(err.message))) {
      return sendOnce(base, false, w, timeoutMs);
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// The server and its fixtures

export const VICTIM = "fuzz-victim";
export const TARGET = "fuzz-target";
export const SEEDED_TYPE = "fuzz.seeded";

export interface Seed {
  tenant: string;
  ids: Record<string, string[]>;
  /** Bearer token of a tenant key with every scope (when the server has tenant keys). */
  key: string | null;
  /** Secrets no answer about another tenant may contain. */
  secrets: string[];
}

/** Server bugs the fuzzer found and that were fixed: their exact old answers, recognised so that a regression fails loudly. */
export type KnownBug = "bad-url" | "param-too-long" | "client-error" | "expectation" | "stack-overflow" | "regex-too-large";

export interface Verdict {
  status: number;
  knownBug: KnownBug | null;
}

interface LogLine {
  level: number;
  msg?: string;
  err?: { type?: string; message?: string; stack?: string };
}

export interface Harness {
  server: TestServer;
  base: URL;
  doc: OpenApiDocument;
  operations: Operation[];
  limits: Limits;
  tenantKeys: boolean;
  victim: Seed;
  target: Seed;
  network: NetworkGuard;
  knownBugs: Record<KnownBug, { count: number; example: string | null }>;
  snapshotVictim(): Promise<unknown>;
  /** Sends one generated request and checks every per-request property; throws on a violation. */
  exercise(op: Operation, req: FuzzRequest): Promise<Verdict>;
  send(w: Wire): Promise<WireResponse>;
  stop(): Promise<void>;
}

const READ_METHODS = new Set(["GET", "HEAD"]);

export async function startHarness(extraEnv: Record<string, string> = {}): Promise<Harness> {
  const limits: Limits = { maxBodyBytes: 1024 * 1024, maxPayloadBytes: 64 * 1024, maxBatchEvents: 50 };
  const network = confineNetwork();
  const server = await startServer({
    // Private networks are NOT allowed: literal non-global receiver addresses are refused.
    TOCSIN_ALLOW_PRIVATE_NETWORKS: "false",
    // Deliveries fail (no name resolves) and are `failed` after one retry, so the victim's state settles.
    TOCSIN_RETRY_SCHEDULE: "10ms",
    // Smaller limits than the defaults so that bodies at and just over them are cheap to send.
    TOCSIN_MAX_BODY_BYTES: String(limits.maxBodyBytes),
    TOCSIN_MAX_PAYLOAD_BYTES: String(limits.maxPayloadBytes),
    TOCSIN_MAX_BATCH_EVENTS: String(limits.maxBatchEvents),
    // Errors are captured (below) to classify 500s and print their stacks with the counterexample.
    TOCSIN_LOG_LEVEL: "error",
    // The API is fuzzed, not the web console: its pages are HTML (test/e2e/console-serving.test.ts).
    TOCSIN_CONSOLE: "false",
    ...extraEnv,
  });
  const base = new URL(server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const errors: LogLine[] = [];
  const stream = (server.app.logger as unknown as Record<symbol, { write(s: string): boolean }>)[pino.symbols.streamSym];
  const echo = process.env.TOCSIN_FUZZ_LOG ? stream.write.bind(stream) : null;
  stream.write = (line: string) => {
    try {
      errors.push(JSON.parse(line) as LogLine);
    } catch {
      errors.push({ level: 50, msg: line });
    }
    if (errors.length > 100) errors.shift();
    return echo ? echo(line) : true;
  };

  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDocument;
  const operations = operationsOf(doc);
  const has = (key: string) => operations.some((o) => o.key === key);
  const tenantKeys = has("POST /v1/tenants/{tenant}/keys");
  const api = server.api;

  const must = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, expect = [200, 201, 202, 204]) => {
    const r = await api<T>(method, path, body);
    if (!expect.includes(r.status)) throw new Error(`fixture ${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };

  async function addEndpointAndEvent(s: Seed, host: string) {
    const ep = await must<{ id: string }>("POST", `/v1/tenants/${s.tenant}/endpoints`, {
      url: `https://${host}.example.invalid/hook`,
      eventTypes: ["*"],
      name: `${s.tenant} endpoint`,
      headers: { "x-fixture": s.tenant },
      auth: { type: "bearer", token: `${s.tenant}-receiver-token` },
    });
    const ev = await must<{ id: string }>("POST", `/v1/tenants/${s.tenant}/events`, { type: `${s.tenant}.created`, severity: "high", payload: { amount: 1.5, tags: ["a", "b"] } });
    const detail = await must<{ deliveries: { id: string }[] }>("GET", `/v1/tenants/${s.tenant}/events/${ev.id}`);
    s.ids.endpoints = [ep.id];
    s.ids.events = [ev.id];
    s.ids.deliveries = detail.deliveries.map((d) => d.id);
    const secret = await must<{ secret: string }>("GET", `/v1/tenants/${s.tenant}/endpoints/${ep.id}/secret`);
    s.secrets = [...s.secrets.filter((x) => !x.startsWith("whsec_")), secret.secret];
  }

  async function addKey(s: Seed, scopes: string[]) {
    if (!tenantKeys) return;
    const k = await must<{ id: string; key: string }>("POST", `/v1/tenants/${s.tenant}/keys`, { name: `${s.tenant} key`, scopes });
    s.secrets = [...s.secrets.filter((x) => x !== s.key), k.key];
    s.ids.keys = [k.id];
    s.key = k.key;
  }

  async function seed(tenant: string, host: string, scopes: string[]): Promise<Seed> {
    const s: Seed = { tenant, ids: {}, key: null, secrets: [] };
    await must("POST", "/v1/tenants", { id: tenant, name: tenant, metadata: { plan: "gold", seats: 3 } });
    await addEndpointAndEvent(s, host);
    await addKey(s, scopes);
    return s;
  }

  const victim = await seed(VICTIM, "victim", ["read"]);
  const target = await seed(TARGET, "target", ["events:write", "endpoints:write", "read"]);
  await must("POST", "/v1/event-types", { name: SEEDED_TYPE, description: "seeded", schema: { type: "object" }, example: { a: 1 } });
  target.ids["event-types"] = [SEEDED_TYPE];
  // Let both deliveries fail for good (no name resolves; one retry after 10 ms) so nothing changes later.
  await eventually(async () => {
    const all = await Promise.all(
      [victim, target].map((s) => api<{ data: { status: string }[] }>("GET", `/v1/tenants/${s.tenant}/deliveries`)),
    );
    return all.every((r) => r.body.data.length > 0 && r.body.data.every((d) => d.status === "failed"));
  }, 15_000, "the seeded deliveries to fail");
  for (const s of [victim, target]) {
    const detail = await must<{ attempts: { id: string }[] }>("GET", `/v1/tenants/${s.tenant}/deliveries/${s.ids.deliveries[0]}`);
    s.ids.attempts = detail.attempts.map((a) => a.id);
  }

  /** Everything the API shows of the victim tenant, read through the document's GET routes. */
  async function snapshotVictim(): Promise<unknown> {
    const out: Record<string, unknown> = {};
    const gets = operations.filter((o) => o.method === "GET" && o.template.startsWith("/v1/tenants/{tenant}"));
    for (const o of gets.filter((g) => g.pathParams.length === 1)) {
      const path = o.template.replace("{tenant}", VICTIM);
      const pages: unknown[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 50; i++) {
        const r: { status: number; body: { data?: unknown[]; nextCursor?: string | null } } = await api("GET", `${path}?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
        pages.push(r.status === 200 && Array.isArray(r.body?.data) ? r.body.data : r);
        cursor = r.body?.nextCursor ?? null;
        if (!cursor) break;
      }
      out[o.template] = pages;
    }
    for (const o of gets.filter((g) => g.pathParams.length === 2 && g.pathParams[1].name === "id")) {
      for (const id of victim.ids[collectionOf(o.template, "id")] ?? []) {
        const r = await api("GET", o.template.replace("{tenant}", VICTIM).replace("{id}", id));
        out[`${o.template} ${id}`] = { status: r.status, body: r.body };
      }
    }
    return out;
  }

  /** Puts back what a successful request removed from the target tenant, so later cases keep meaning. */
  async function repair() {
    if ((await api("GET", `/v1/tenants/${TARGET}`)).status === 404) {
      await must("POST", "/v1/tenants", { id: TARGET, name: TARGET });
      await addEndpointAndEvent(target, "target");
      await addKey(target, ["events:write", "endpoints:write", "read"]);
    } else {
      if ((await api("GET", `/v1/tenants/${TARGET}/endpoints/${target.ids.endpoints[0]}`)).status === 404) await addEndpointAndEvent(target, "target");
      if (target.key && (await fetch(`${server.url}/v1/tenants/${TARGET}`, { headers: { authorization: `Bearer ${target.key}` } })).status === 401) {
        await addKey(target, ["events:write", "endpoints:write", "read"]);
      }
    }
    if ((await api("GET", `/v1/event-types/${SEEDED_TYPE}`)).status === 404) {
      await must("POST", "/v1/event-types", { name: SEEDED_TYPE, description: "seeded", schema: { type: "object" }, example: { a: 1 } });
    }
  }

  const knownBugs: Harness["knownBugs"] = {
    "bad-url": { count: 0, example: null },
    "param-too-long": { count: 0, example: null },
    "client-error": { count: 0, example: null },
    expectation: { count: 0, example: null },
    "stack-overflow": { count: 0, example: null },
    "regex-too-large": { count: 0, example: null },
  };

  const seedOf = (r: Ref) => (r.ref === "victim" ? victim : target);
  function resolveRef(r: Ref): string {
    const s = seedOf(r);
    if (r.kind === "tenant") return s.tenant;
    const pool = s.ids[r.kind]?.length ? s.ids[r.kind] : Object.values(s.ids).flat();
    const id = pool[r.n % pool.length] ?? "none";
    return r.cursor ? Buffer.from(id).toString("base64url") : id;
  }
  const isRef = (p: Piece): p is Ref => "ref" in p;
  const resolveStrings = (v: unknown): unknown => {
    if (typeof v === "string" && v.startsWith(REF_MARK)) {
      const [ref, kind, n] = v.slice(REF_MARK.length).split(":");
      return resolveRef({ ref: ref as Ref["ref"], kind, n: Number(n) });
    }
    if (Array.isArray(v)) return v.map(resolveStrings);
    if (v && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: resolveStrings(x), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };

  function bodyBytes(b: BodySpec): { bytes: Buffer | null; note: string } {
    const { bytes, note } = bodyOf(b);
    return { bytes: bytes && confineBody(bytes), note };
  }

  function bodyOf(b: BodySpec): { bytes: Buffer | null; note: string } {
    const prepare = resolveStrings; // ids of the seeded tenants, where the generator put references
    switch (b.kind) {
      case "none":
        return { bytes: null, note: "no body" };
      case "json":
        return { bytes: Buffer.from(JSON.stringify(prepare(b.value)) ?? "null"), note: b.variant };
      case "text":
        return { bytes: Buffer.from(b.text), note: b.variant };
      case "bytes":
        return { bytes: Buffer.from(b.hex, "hex"), note: "raw bytes" };
      case "deep": {
        const v = prepare(b.base);
        const nodes = nodesOf(v);
        const mark = "\u0002deep\u0002";
        const text = JSON.stringify(setAt(v, nodes[b.at % nodes.length], mark)) ?? "null";
        const nested = b.shape === "array" ? "[".repeat(b.depth) + "]".repeat(b.depth) : '{"a":'.repeat(b.depth) + "{}" + "}".repeat(b.depth);
        return { bytes: Buffer.from(text.replace(JSON.stringify(mark), () => nested)), note: `nested ${b.depth} ${b.shape}s deep` };
      }
      case "sized": {
        const v = prepare(b.base);
        const nodes = nodesOf(v);
        const strings = nodes.filter((p) => typeof p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], v) === "string");
        const at = strings.length ? strings[b.at % strings.length] : nodes[b.at % nodes.length];
        const empty = Buffer.byteLength(JSON.stringify(setAt(v, at, "")) ?? "null");
        const pad = Math.max(0, b.bytes - empty);
        return { bytes: Buffer.from(JSON.stringify(setAt(v, at, "x".repeat(pad))) ?? "null"), note: `padded to ${b.bytes} bytes` };
      }
    }
  }

  const authHeader = (a: AuthSpec): (string | null)[] => {
    const admin = `Bearer ${server.apiKey}`;
    switch (a.kind) {
      case "admin":
        return [admin];
      case "tenant-key":
        return [`Bearer ${target.key}`];
      case "bad":
        return [a.header];
      case "duplicate":
        return a.first === "admin" ? [admin, "Bearer nope"] : ["Bearer nope", admin];
    }
  };

  /** The request on the wire, with victim data kept out of reach of anything that writes. */
  function toWire(op: Operation, req: FuzzRequest): { wire: Wire; tenant: string | null; note: string } {
    const read = READ_METHODS.has(req.method);
    const hasTenant = op.pathParams.some((p) => p.name === "tenant");
    const segments = op.pathParams.map((p, i) => {
      let piece = req.params[i];
      // Writes never address the victim tenant, and global routes (DELETE /v1/keys/{id}) never
      // name a victim object; under another tenant's path the victim's ids are sent on purpose.
      if (!read && isRef(piece) && piece.ref === "victim" && (p.name === "tenant" || !hasTenant)) piece = { ...piece, ref: "target" };
      return isRef(piece) ? resolveRef(piece) : piece.wire;
    });
    const tenantAt = op.pathParams.findIndex((p) => p.name === "tenant");
    const tenant = tenantAt >= 0 ? safeDecode(segments[tenantAt]) : null;
    let i = 0;
    const canonical = req.template.replace(/\{[^}]+\}/g, () => segments[i++]);
    const path = spell(req.template, canonical, req.spelling);
    const query = [
      ...req.query.map((q) => (q.value === null ? q.key : `${q.key}=${isRef(q.value) ? resolveRef(q.value) : q.value.wire}`)),
      ...(req.rawQuery ? [req.rawQuery] : []),
    ].join("&");
    if (!read) {
      const decoded = safeDecode(path);
      const victimIds = [VICTIM, ...(hasTenant ? [] : Object.values(victim.ids).flat())];
      assert.ok(
        tenant !== VICTIM && !victimIds.some((id) => decoded.split("/").includes(id)),
        `generator bug: a write that addresses victim data: ${req.method} ${path}`,
      );
    }
    const { bytes, note } = bodyBytes(req.body);
    const headers: [string, string][] = [];
    // Credentials and framing are the generator's own choices (auth, body); a fuzzed Content-Type comes after the chosen one.
    const fuzzed = req.headers.filter(([k]) => !/^(authorization|content-length|transfer-encoding)$/i.test(k));
    if (!fuzzed.some(([k]) => k.toLowerCase() === "host")) headers.push(["host", base.host]);
    for (const h of authHeader(req.auth)) if (h !== null) headers.push(["authorization", h]);
    const ct = req.contentType === "auto" ? (bytes ? "application/json" : null) : req.contentType;
    if (ct !== null) headers.push(["content-type", ct]);
    headers.push(...fuzzed);
    const chunked = req.chunked && bytes !== null;
    if (bytes !== null) headers.push(chunked ? ["transfer-encoding", "chunked"] : ["content-length", String(bytes.length)]);
    // Node's client refuses spaces, controls and characters above 0xFF in a request target.
    const target = (query ? `${path}?${query}` : path).replace(/[^\u0021-\u00ff]/gu, (c) => pct(c));
    return { wire: { method: req.method, path: target, headers, body: bytes, chunked }, tenant, note };
  }

  const describeWire = (w: Wire, note: string) => {
    const body = w.body ? w.body.toString("utf8") : "";
    const shown = body.length > 600 ? `${body.slice(0, 300)}…(${w.body!.length} bytes)…${body.slice(-100)}` : body;
    const path = w.path.length > 400 ? `${w.path.slice(0, 400)}…(${w.path.length} chars)` : w.path;
    const headers = w.headers.map(([k, v]) => `${k}: ${k === "authorization" ? v.slice(0, 12) + (v.length > 12 ? "…" : "") : v.length > 120 ? `${v.slice(0, 120)}…(${v.length})` : v}`);
    return `${w.method} ${path}\n  ${headers.join("\n  ")}\n  body (${note}): ${JSON.stringify(shown)}`;
  };
  const describeResponse = (r: WireResponse) => `${r.status} ${r.headers["content-type"] ?? "(no content-type)"} ${r.body.toString("utf8").slice(0, 600)}`;

  const isProblem = (r: WireResponse) => String(r.headers["content-type"] ?? "").startsWith("application/problem+json");
  const jsonOf = (r: WireResponse): Record<string, unknown> | null => {
    try {
      return r.body.length ? (JSON.parse(r.body.toString("utf8")) as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };

  /** Which known bug a non-problem answer is, if any (exact signatures: anything else fails). */
  function classify(w: Wire, r: WireResponse, json: Record<string, unknown> | null): KnownBug | null {
    if (isProblem(r)) return null;
    // Node answers an Expect other than 100-continue itself: 417, no body.
    if (r.status === 417 && !r.headers["content-type"] && w.headers.some(([k, v]) => k.toLowerCase() === "expect" && v.trim().toLowerCase() !== "100-continue")) {
      return "expectation";
    }
    if (r.status === 400 && json?.code === "FST_ERR_BAD_URL") return "bad-url";
    if (r.status === 414 && json?.code === "FST_ERR_MAX_PARAM_LENGTH") return "param-too-long";
    if ([400, 408, 431].includes(r.status) && typeof json?.message === "string" && json.statusCode === r.status && json.error && !json.code) return "client-error";
    return null;
  }

  async function exercise(op: Operation, req: FuzzRequest): Promise<Verdict> {
    const { wire, tenant, note } = toWire(op, req);
    errors.length = 0;
    let res: WireResponse;
    try {
      res = await send(base, agent, wire);
    } catch (e) {
      throw new Error(`no answer (${(e as Error).message}) to\n${describeWire(wire, note)}`);
    }
    const text = res.body.toString("utf8");
    const json = jsonOf(res);
    const fail = (what: string) => {
      const logged = errors
        .filter((l) => l.level >= 50)
        .map((l) => {
          const text = l.err?.stack ?? l.err?.message ?? l.msg ?? "";
          return text.length > 1500 ? `${text.slice(0, 1000)}…(${text.length} chars)…${text.slice(-400)}` : text;
        })
        .join("\n");
      return `${what}\nrequest:\n${describeWire(wire, note)}\nresponse: ${describeResponse(res)}${logged ? `\nserver log:\n${logged}` : ""}`;
    };

    let bug = classify(wire, res, json);
    if (!bug && wire.method === "HEAD" && res.status >= 400 && !isProblem(res)) {
      // HEAD answers carry no body: ask the same with GET to see which error it is.
      const again = await send(base, agent, { ...wire, method: "GET" });
      if (again.status === res.status) bug = classify({ ...wire, method: "GET" }, again, jsonOf(again));
    }
    const logged = (re: RegExp) => errors.some((l) => re.test(l.err?.message ?? ""));
    if (res.status === 500 && logged(/^Maximum call stack size exceeded$/)) bug = "stack-overflow";
    if (res.status === 500 && logged(/^Invalid regular expression: .*: Regular expression too large$/s)) bug = "regex-too-large";
    if (bug) {
      // Each of these was a server bug the fuzzer found, now fixed: seeing one again fails.
      knownBugs[bug].count++;
      knownBugs[bug].example ??= fail(`known bug ${bug}`);
      assert.fail(fail(`the fixed bug "${bug}" is back`));
    }

    assert.ok(res.status < 500, fail(`${res.status}: a server error`));
    const ctype = String(res.headers["content-type"] ?? "");
    if (res.status >= 400) {
      assert.match(ctype, /^application\/problem\+json/, fail("a 4xx that is not application/problem+json"));
      if (wire.method !== "HEAD") {
        assert.ok(json && typeof json === "object", fail("a 4xx whose body is not a JSON object"));
        for (const k of ["type", "title", "detail", "code"]) assert.equal(typeof json[k], "string", fail(`problem document without a string ${k}`));
        assert.equal(json.status, res.status, fail("problem document whose status is not the HTTP status"));
      }
    } else if (res.status >= 200 && res.status < 300 && res.status !== 204 && wire.method !== "HEAD" && text) {
      // The one route that is not JSON: Prometheus's text exposition format.
      if (op.template === "/metrics") assert.match(ctype, /^text\/plain; version=0\.0\.4/, fail("/metrics not in the Prometheus text format"));
      else assert.ok(json !== null || text === "null", fail("a 2xx whose body is not JSON"));
    }

    // A malformed request (bad path escape, parser error, unsupported Expect) is refused before
    // authentication, which reveals nothing. Without a valid key, a documented route answers 401;
    // a path no route matches (an unrouted request, a fuzzed segment that leaves the route, or a
    // spelling the router does not read as the route) answers 404 and runs no API code.
    const malformed = res.status >= 400 && (json?.code === "invalid_request" || (wire.method === "HEAD" && [400, 417, 431].includes(res.status)));
    if (req.auth.kind === "bad" && !op.public && !malformed) {
      const unmatched = res.status === 404 && (wire.method === "HEAD" || (json?.code === "not_found" && String(json.detail).startsWith("no route for")));
      assert.ok(res.status === 401 || unmatched, fail("a request without a valid key was neither refused with 401 nor unmatched (404)"));
    }

    const ok = res.status >= 200 && res.status < 300;
    if (ok && req.auth.kind === "tenant-key") {
      assert.ok(!(op.roles?.includes("admin") ?? false), fail("a tenant key was allowed on an admin-only route"));
      assert.ok(tenant === null || tenant === TARGET, fail("a tenant key was allowed on another tenant's path"));
    }
    if (ok && tenant !== VICTIM && wire.method !== "HEAD") {
      for (const secret of victim.secrets) assert.ok(!text.includes(secret), fail("an answer outside the victim tenant holds one of its secrets"));
    }
    if (ok && tenant !== null && json) {
      const foreign = tenantIdsIn(json).filter((t) => t !== tenant);
      assert.deepEqual(foreign, [], fail(`an answer under tenant ${JSON.stringify(tenant)} shows objects of another tenant`));
    }

    // Keep the fixtures useful and the data small: remove endpoints the fuzzer created (at most 100
    // per tenant) and tenants or event types made from large bodies (lists would return megabytes
    // over a long campaign); put back seeded objects a successful DELETE removed.
    if (res.status === 201 && json) {
      const large = (wire.body?.length ?? 0) > 16 * 1024;
      const e = encodeURIComponent;
      if (op.template === "/v1/tenants/{tenant}/endpoints") await server.api("DELETE", `/v1/tenants/${e(String(json.tenantId))}/endpoints/${e(String(json.id))}`);
      else if (large && op.template === "/v1/tenants") await server.api("DELETE", `/v1/tenants/${e(String(json.id))}`);
      else if (large && op.template === "/v1/event-types") await server.api("DELETE", `/v1/event-types/${e(String(json.name))}`);
    }
    if (ok && wire.method === "DELETE") await repair();
    return { status: res.status, knownBug: null };
  }

  return {
    server,
    base,
    doc,
    operations,
    limits,
    tenantKeys,
    victim,
    target,
    network,
    knownBugs,
    snapshotVictim,
    exercise,
    send: (w) => send(base, agent, w),
    async stop() {
      agent.destroy();
      await server.stop();
      rmSync(server.dataDir, { recursive: true, force: true });
      network.restore();
    },
  };
}

/** The `n`-th spelling (test/support/spellings.ts) of `path`, built from `template`; 0 or a path of another shape: as it is. */
function spell(template: string, path: string, n: number): string {
  if (n === 0) return path;
  const literal = template.split("/").slice(1).map((s) => !s.startsWith("{"));
  if (path.split("/").length - 1 !== literal.length) return path;
  return spellingsOf(path, (i) => literal[i])[n - 1][1];
}

export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `tenantId` of every object in an answer, outside free-form fields (payloads, metadata). */
function tenantIdsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) tenantIdsIn(x, out);
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k === "tenantId" && typeof x === "string") out.push(x);
      else if (!["payload", "metadata", "example", "schema", "headers"].includes(k)) tenantIdsIn(x, out);
    }
  }
  return out;
}
