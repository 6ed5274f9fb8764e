import fc from "fast-check";
import { type OpenApiDocument, inlineRefs } from "../support/openapi.ts";
import { SPELLING_COUNT } from "../support/spellings.ts";

// The routes to fuzz, read from the server's own OpenAPI document, and fast-check arbitraries for
// requests to them: path parameters, query strings, bodies, headers and credentials. A request is
// generated symbolically (ids of the seeded tenants are references, resolved when it is sent) so
// that a counterexample stays meaningful after the fixtures are re-created.

export type JsonSchema = { [k: string]: unknown };

export interface Param {
  name: string;
  schema: JsonSchema;
  required: boolean;
}

export interface Operation {
  /** "GET /v1/tenants/{tenant}": how results and case counts are reported. */
  key: string;
  method: string;
  /** OpenAPI path template, e.g. /v1/tenants/{tenant}/endpoints/{id}. */
  template: string;
  pathParams: Param[];
  queryParams: Param[];
  body: JsonSchema | null;
  /** `security: []`: no key needed (/healthz, /readyz). */
  public: boolean;
  /** Roles listed in `security` (`admin`, or the scope a tenant key needs); null when not documented. */
  roles: string[] | null;
  /** Not a route of the document: wrong methods on known paths, and unknown paths. */
  unrouted?: boolean;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
export const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Every path × method of the document, so that a new route is fuzzed without touching this file. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(inlineRefs(doc.paths, doc) as OpenApiDocument["paths"])) {
    for (const [m, op] of Object.entries(item)) {
      if (!METHODS.includes(m)) continue;
      const params = op.parameters ?? [];
      const declared = (where: string) =>
        params.filter((p) => p.in === where).map((p) => ({ name: p.name, schema: p.schema ?? {}, required: p.required ?? false }));
      const fromTemplate = [...template.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]);
      const pathParams = fromTemplate.map((name) => declared("path").find((p) => p.name === name) ?? { name, schema: { type: "string" }, required: true });
      const content = op.requestBody?.content ?? {};
      const body = content["application/json"]?.schema ?? Object.values(content)[0]?.schema ?? null;
      const security = op.security ?? doc.security;
      ops.push({
        key: `${m.toUpperCase()} ${template}`,
        method: m.toUpperCase(),
        template,
        pathParams,
        queryParams: declared("query"),
        body,
        public: Array.isArray(op.security) && op.security.length === 0,
        roles: security && security.length ? security.flatMap((s) => Object.values(s).flat()) : null,
      });
    }
  }
  return ops;
}

/** The path segment naming the collection a parameter belongs to: endpoints for /endpoints/{id}. */
export function collectionOf(template: string, param: string): string {
  if (param === "tenant") return "tenant";
  const parts = template.split("/");
  const i = parts.indexOf(`{${param}}`);
  return i > 0 ? parts[i - 1] : "*";
}

// ---------------------------------------------------------------------------------------------
// Symbolic values

/** An id of a seeded tenant: its own id (kind "tenant"), one of a collection's, or any ("*"). */
export interface Ref {
  ref: "victim" | "target";
  kind: string;
  n: number;
  /** Encoded as a list cursor (base64url) rather than as the id itself. */
  cursor?: boolean;
}
/** A path segment or query value: a reference, or text exactly as it goes on the wire. */
export type Piece = Ref | { wire: string };

export interface QueryPart {
  key: string;
  value: Piece | null;
}

/** Strings in JSON bodies that stand for a reference; resolved before the body is sent. */
export const REF_MARK = "\u0001ref:";
const refString = (r: Ref) => `${REF_MARK}${r.ref}:${r.kind}:${r.n}`;

export type BodySpec =
  | { kind: "none" }
  | { kind: "json"; value: unknown; variant: string }
  /** A JSON value with `depth` nested arrays or objects in place of the node at `at`. */
  | { kind: "deep"; base: unknown; at: number; depth: number; shape: "array" | "object" }
  /** A JSON value whose serialisation is padded to exactly `bytes` bytes. */
  | { kind: "sized"; base: unknown; at: number; bytes: number }
  | { kind: "text"; text: string; variant: string }
  | { kind: "bytes"; hex: string };

export type AuthSpec =
  | { kind: "admin" }
  | { kind: "tenant-key" }
  /** A header that is not a valid key (null: none at all); /v1 must answer 401. */
  | { kind: "bad"; header: string | null }
  /** Two Authorization headers; only the general properties are checked. */
  | { kind: "duplicate"; first: "admin" | "bad" };

export interface FuzzRequest {
  method: string;
  /** The template's literal segments and its parameters, in order. */
  template: string;
  params: Piece[];
  query: QueryPart[];
  /** Appended to the query string as is (malformed query strings). */
  rawQuery: string;
  body: BodySpec;
  /** null: no Content-Type; "auto": application/json when there is a body. */
  contentType: string | null | "auto";
  headers: [string, string][];
  /** Send the body with Transfer-Encoding: chunked instead of Content-Length. */
  chunked: boolean;
  auth: AuthSpec;
  /** 0: the path as the template writes it; n: the n-th spelling of test/support/spellings.ts. */
  spelling: number;
}

export interface Limits {
  maxBodyBytes: number;
  maxPayloadBytes: number;
  maxBatchEvents: number;
}

// ---------------------------------------------------------------------------------------------
// Strings

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, "0");
/** Percent-encodes every byte of the UTF-8 encoding except unreserved characters. */
export function pct(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${hex2(b)}`;
  }
  return out;
}

/** Printable ASCII sent unescaped in a request target (Node's client sends 0x21–0xFF as is). */
const rawTargetChar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
/** Unescaped text with one byte above 0x7F, which Node's HTTP parser refuses (kept rare: always the same answer). */
const rawHighByte = fc
  .tuple(fc.string({ unit: rawTargetChar, maxLength: 5 }), fc.integer({ min: 0x80, max: 0xff }))
  .map(([s, c]) => s + String.fromCharCode(c));
/** Characters allowed in a header value by Node's client: tab, printable ASCII, 0x80–0xFF. */
const headerChar = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09)).map((c) => String.fromCharCode(c));
const tokenChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~".split(""));
const ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const SPECIAL_SEGMENTS = [
  "", ".", "..", "../", "..%2F", "%2e%2e", "%2E%2E%2F", "..%2F..%2F..%2Fetc%2Fpasswd", "%00", "a%00b", "%2F", "/", "//", "%25", "%",
  "%zz", "%C0%AF", "%C3%28", "%FF", "%ED%A0%80", "%F0%9F%98%80", "%u0041", "%0A", "%0D%0A", "%20", "+", "*", "~", "'", '"', "<script>",
  "{", "}", "|", "\\", "^", "`", "[", "]", ";", "@", ":", "$", "&", "=", ",", "!", "(", ")", "#", "?", "?x=1", "#frag", "null",
  "undefined", "NaN", "0", "-1", "1e999", "true", "__proto__", "constructor", "prototype", "hasOwnProperty", "ep_", "evt_", "dlv_",
  "key_", "ten_", "*.*", "a.*", "tocsin.test", "SELECT", "' OR '1'='1", "%27%20OR%20%271%27%3D%271", "${jndi:ldap://x.invalid/a}",
];

/** Path segments: unicode (percent-encoded), control characters, traversal, broken escapes, long ones. */
export const rawSegment: fc.Arbitrary<{ wire: string }> = fc
  .oneof(
    { weight: 30, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }).map(pct) },
    { weight: 20, arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map(pct) },
    { weight: 30, arbitrary: fc.constantFrom(...SPECIAL_SEGMENTS) },
    { weight: 10, arbitrary: fc.string({ unit: rawTargetChar, minLength: 1, maxLength: 20 }) },
    { weight: 1, arbitrary: rawHighByte },
    {
      weight: 10,
      arbitrary: fc.tuple(fc.constantFrom("ep_", "evt_", "dlv_", "key_", "ten_", ""), fc.string({ unit: fc.constantFrom(...ULID.split("")), minLength: 1, maxLength: 30 })).map(([p, s]) => p + s),
    },
    // Long ones: Fastify's maxParamLength is 100, tenant ids may be 128 characters; a few KB at most.
    {
      weight: 10,
      arbitrary: fc.oneof(
        fc.integer({ min: 95, max: 135 }).map((n) => "a".repeat(n)),
        fc.tuple(fc.integer({ min: 136, max: 4000 }), fc.constantFrom("a", "%41", "%C3%A9", "-")).map(([n, c]) => c.repeat(Math.ceil(n / c.length))),
      ),
    },
  )
  .map((wire) => ({ wire }));

/** A path or query value that stands for an id of a seeded tenant. */
const refOf = (kind: string, victimWeight = 2): fc.Arbitrary<Ref> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.nat().map((n): Ref => ({ ref: "target", kind, n })) },
    { weight: victimWeight, arbitrary: fc.nat().map((n): Ref => ({ ref: "victim", kind, n })) },
    { weight: 1, arbitrary: fc.nat().map((n): Ref => ({ ref: "victim", kind: "*", n })) },
    { weight: 1, arbitrary: fc.nat().map((n): Ref => ({ ref: "target", kind: "*", n })) },
  );

export const pathParam = (op: Operation, p: Param): fc.Arbitrary<Piece> =>
  fc.oneof({ weight: 3, arbitrary: refOf(collectionOf(op.template, p.name)) }, { weight: 2, arbitrary: rawSegment });

// ---------------------------------------------------------------------------------------------
// Values from JSON Schema (typebox output: const, enum, anyOf, oneOf, type, properties, ...)

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$/);
/**
 * Receiver URLs: hosts under .invalid (RFC 2606/6761: never resolves), and URLs the server must
 * refuse. Every other host is rewritten before sending (see confineUrls in harness.ts).
 */
const urlArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom("http", "https"), label, fc.webPath()).map(([s, l, p]) => `${s}://${l}.example.invalid${p}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "ftp://a.example.invalid/",
      "not a url",
      "//a.example.invalid/x",
      "http://user:pw@a.example.invalid/",
      "https://a.example.invalid/#frag",
      "http://127.0.0.1/",
      "http://127.0.0.1:9/x",
      "http://[::1]/",
      "http://0x7f.1/",
      "http://2130706433/",
      "http://[::ffff:127.0.0.1]/",
      "https://a.example.invalid:0/",
      "https://a.example.invalid:65536/",
      "https://a.example.invalid/" + "p".repeat(2040),
      "https://a.example.invalid/" + "p".repeat(2100),
      "javascript:alert(1)",
      "file:///etc/passwd",
      "data:text/plain,x",
      "https://xn--nxasmq6b.example.invalid/",
      "https://ü.example.invalid/",
      "",
    ),
  },
);
const secretArb = fc.oneof(
  fc.uint8Array({ minLength: 24, maxLength: 64 }).map((b) => `whsec_${Buffer.from(b).toString("base64")}`),
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 16, maxLength: 64 }),
  fc.string({ maxLength: 300 }),
);
const SMALL_SCHEMAS = [
  { type: "object", properties: { severity: { type: "string" } } },
  { type: "object", required: ["x"], properties: { x: { type: "integer", minimum: 0 } } },
  { type: "array", items: { type: "string" } },
  { type: "string", pattern: "^(a+)+$" },
  { $ref: "#/definitions/nope" },
  { type: "nope" },
  { anyOf: [] },
  true,
  false,
  {},
];

const fieldHints: Record<string, () => fc.Arbitrary<unknown>> = {
  url: () => urlArb,
  secret: () => secretArb,
  schema: () => fc.oneof(fc.constantFrom(...SMALL_SCHEMAS), fc.jsonValue({ maxDepth: 2 })),
  example: () => fc.jsonValue({ maxDepth: 3 }),
  payload: () => fc.jsonValue({ maxDepth: 3 }),
};

const asArray = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

/** A value valid for `s` (as far as the schema says; the services check more). */
export function valueOf(s: JsonSchema | boolean, field = "", depth = 0): fc.Arbitrary<unknown> {
  if (typeof s === "boolean") return fc.jsonValue({ maxDepth: 2 });
  if ("const" in s) return fc.constant(s.const);
  if (Array.isArray(s.enum) && s.enum.length) return fc.constantFrom(...(s.enum as unknown[]));
  for (const k of ["anyOf", "oneOf"]) {
    const alts = asArray(s[k]) as JsonSchema[];
    if (alts.length) return fc.oneof(...alts.map((a) => valueOf(a, field, depth)));
  }
  const hint = fieldHints[field];
  if (hint && (s.type === undefined || s.type === "string")) return hint();
  const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string | undefined];
  if (types.length > 1) return fc.oneof(...types.map((t) => valueOf({ ...s, type: t }, field, depth)));
  switch (types[0]) {
    case "object": {
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, p] of Object.entries(props)) model[k] = valueOf(p, k, depth + 1);
      const requiredKeys = asArray(s.required).filter((k): k is string => typeof k === "string" && k in model);
      const fixed = fc.record(model, { requiredKeys });
      const extra = s.additionalProperties;
      if (extra && typeof extra === "object" && depth < 3) {
        const maxKeys = Math.min(3, typeof s.maxProperties === "number" ? s.maxProperties : 3);
        const more = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), valueOf(extra as JsonSchema, "", depth + 1), { maxKeys });
        return fc.tuple(fixed, more).map(([a, b]) => ({ ...b, ...a }));
      }
      return fixed;
    }
    case "array": {
      const items = (s.items ?? {}) as JsonSchema;
      const minLength = typeof s.minItems === "number" ? s.minItems : 0;
      const maxLength = Math.max(minLength, Math.min(typeof s.maxItems === "number" ? s.maxItems : 3, 3));
      if (s.uniqueItems) return fc.uniqueArray(valueOf(items, field, depth + 1), { minLength, maxLength, selector: (v) => JSON.stringify(v) });
      return fc.array(valueOf(items, field, depth + 1), { minLength, maxLength });
    }
    case "string": {
      const maxLength = typeof s.maxLength === "number" ? s.maxLength : 40;
      const minLength = typeof s.minLength === "number" ? s.minLength : 0;
      if (s.format === "date-time") {
        return fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
      }
      if (typeof s.pattern === "string") {
        return fc.stringMatching(new RegExp(s.pattern), { size: "small" }).filter((x) => x.length >= minLength && x.length <= maxLength);
      }
      const unit = fc.oneof(
        { weight: 5, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
        { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
      );
      return fc.string({ unit, minLength, maxLength: Math.max(minLength, Math.min(maxLength, 40)) });
    }
    case "integer": {
      const min = typeof s.minimum === "number" ? s.minimum : -1_000_000;
      const max = typeof s.maximum === "number" ? s.maximum : 1_000_000;
      return fc.integer({ min, max });
    }
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: depth > 2 ? 1 : 2 });
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations of a valid value: wrong types, missing and unknown fields, boundary values

type Path = (string | number)[];

/** Every node of a JSON value, root first. */
export function nodesOf(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (out.length > 200) return out;
  if (Array.isArray(v)) v.forEach((x, i) => nodesOf(x, [...at, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) nodesOf(x, [...at, k], out);
  return out;
}

function getAt(v: unknown, at: Path): unknown {
  let cur = v;
  for (const k of at) cur = (cur as Record<string | number, unknown>)[k];
  return cur;
}

/** A copy of `v` with the node at `at` replaced (`undefined`: removed). */
export function setAt(v: unknown, at: Path, value: unknown): unknown {
  if (at.length === 0) return value;
  const [k, ...rest] = at;
  if (Array.isArray(v)) {
    const copy = [...v];
    if (rest.length === 0 && value === undefined) copy.splice(k as number, 1);
    else copy[k as number] = setAt(copy[k as number], rest, value);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  if (rest.length === 0 && value === undefined) delete copy[k as string];
  else Object.defineProperty(copy, k as string, { value: setAt(copy[k as string], rest, value), enumerable: true, writable: true, configurable: true });
  return copy;
}

const BOUNDARY_NUMBERS = [0, -0, -1, 1, 1.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, 5e-324, 86_400, 86_401, 1000, 1001, 100, 101];
const SPECIAL_STRINGS = [
  "", " ", "\u0000", "a\u0000b", "\ud800", "\udfff\ud800", "🙂", "\u202e", "\r\n", "null", "true", "0", "-1", "NaN", "[]", "{}", "__proto__",
  "constructor", "../../etc/passwd", "*", "a.*", "tocsin.endpoint.test", "whsec_", "whsec_AAAA", "Bearer x", "http://127.0.0.1/",
  "https://a.example.invalid/", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2020-02-30T00:00:00Z", "not-a-date", "ß".repeat(100),
];
const UNKNOWN_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "x", "", " ", "id", "tenantId", "secret", "version", "createdAt"];

const mutation = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: fc.constantFrom<unknown>(...BOUNDARY_NUMBERS, ...SPECIAL_STRINGS, null, true, false, [], {}, [null], { "": null }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("remove" as const), at: fc.nat(), value: fc.constant(null) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("add" as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...UNKNOWN_KEYS), fc.string({ maxLength: 10 })), value: fc.jsonValue({ maxDepth: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("long" as const), at: fc.nat(), n: fc.oneof(fc.constantFrom(16, 64, 65, 128, 129, 200, 201, 255, 256, 257, 1000, 1001, 2000, 2001, 2048, 2049, 4096, 4097), fc.integer({ min: 0, max: 70_000 })), c: fc.constantFrom("a", "é", "🙂", "\u0000", "\\") }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("wrap" as const), at: fc.nat(), value: fc.constant(null) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("ref" as const), at: fc.nat(), r: refOf("*", 4) }) },
);
export type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

export function applyMutation(v: unknown, m: Mutation): unknown {
  const nodes = nodesOf(v);
  const at = nodes[m.at % nodes.length];
  switch (m.op) {
    case "replace":
      return setAt(v, at, m.value);
    case "remove":
      return at.length ? setAt(v, at, undefined) : v;
    case "add": {
      const objects = nodes.filter((p) => {
        const x = getAt(v, p);
        return x !== null && typeof x === "object" && !Array.isArray(x);
      });
      if (!objects.length) return setAt(v, at, { [m.key]: m.value });
      const target = objects[m.at % objects.length];
      return setAt(v, [...target, m.key], m.value);
    }
    case "long": {
      const strings = nodes.filter((p) => typeof getAt(v, p) === "string");
      const where = strings.length ? strings[m.at % strings.length] : at;
      return setAt(v, where, m.c.repeat(Math.ceil(m.n / m.c.length)));
    }
    case "wrap":
      return setAt(v, at, [getAt(v, at)]);
    case "ref":
      return setAt(v, at, refString(m.r));
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies

const INVALID_JSON = [
  "{", "}", "[", "]", "{,}", "[,]", '{"a":}', '{"a" 1}', "{'a':1}", "{a:1}", "NaN", "Infinity", "-", "01", "1.", ".5", "+1", "0x10", '"\\x41"',
  '"\\u12"', '"\\ud800"', '"\u0000"', '{"a":1,}', "[1,]", "//c\n{}", "/*c*/{}", "\ufeff{}", "{}{}", "{} x", "true false", "nul", "tru",
  '"unterminated', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"a":1,"a":2}', "1e999", "-1e999",
  "123456789012345678901234567890", " ", "\t\n", "null", '""', "0", "[]", "{}", "[{}]", '[{"__proto__":{"polluted":1}}]',
];

/** Bodies for `op`: valid, mutated, arbitrary, deeply nested, sized to the limits, not JSON, empty. */
export function bodyOf(op: Operation, limits: Limits): fc.Arbitrary<BodySpec> {
  const valid = op.body ? valueOf(op.body) : fc.jsonValue({ maxDepth: 3 });
  const json = (variant: string) => (value: unknown): BodySpec => ({ kind: "json", value, variant });
  const mutated = fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([v, ms]) => ms.reduce(applyMutation, v));
  const withProto = fc.tuple(valid, fc.nat(), fc.constantFrom("__proto__", "constructor")).map(([v, at, key]) => {
    const text = JSON.stringify(v) ?? "null";
    return text.startsWith("{") && text !== "{}" ? `{"${key}":{"polluted":true,"prototype":{"polluted":true}},${text.slice(1)}` : `{"${key}":{"polluted":${at}}}`;
  });
  const batch = op.body && JSON.stringify(op.body).includes('"type":"array"') && op.method === "POST";
  const text = fc.oneof(
    fc.constantFrom(...INVALID_JSON),
    fc.tuple(valid, fc.nat()).map(([v, n]) => {
      const t = JSON.stringify(v) ?? "";
      return t.slice(0, n % (t.length + 1));
    }),
    fc.tuple(valid, fc.constantFrom(" x", ",", "}", "]", "\u0000", "\ud800", "//", "{}")).map(([v, g]) => (JSON.stringify(v) ?? "") + g),
    fc.string({ unit: "binary", maxLength: 200 }),
    withProto,
  );
  const sizes = [
    limits.maxBodyBytes - 1,
    limits.maxBodyBytes,
    limits.maxBodyBytes + 1,
    limits.maxPayloadBytes - 1,
    limits.maxPayloadBytes,
    limits.maxPayloadBytes + 1,
    limits.maxPayloadBytes + 64,
  ];
  const arbitraries: fc.WeightedArbitrary<BodySpec>[] = [
    { weight: 4, arbitrary: valid.map(json("valid")) },
    { weight: 6, arbitrary: mutated.map(json("mutated")) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json("arbitrary")) },
    {
      weight: 1,
      arbitrary: fc
        .record({
          base: valid,
          at: fc.nat(),
          depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 5000 }), fc.integer({ min: 5000, max: 100_000 })),
          shape: fc.constantFrom("array" as const, "object" as const),
        })
        .map((d): BodySpec => ({ kind: "deep", ...d })),
    },
    { weight: 1, arbitrary: fc.record({ base: valid, at: fc.nat(), bytes: fc.constantFrom(...sizes) }).map((d): BodySpec => ({ kind: "sized", ...d })) },
    { weight: 3, arbitrary: text.map((t): BodySpec => ({ kind: "text", text: t, variant: "not json" })) },
    { weight: 1, arbitrary: fc.constant<BodySpec>({ kind: "text", text: "", variant: "empty" }) },
    { weight: 1, arbitrary: fc.constant<BodySpec>({ kind: "none" }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b): BodySpec => ({ kind: "bytes", hex: Buffer.from(b).toString("hex") })) },
  ];
  if (batch) {
    // A batch of exactly the limit, or one more.
    arbitraries.push({
      weight: 1,
      arbitrary: fc.tuple(valid, fc.constantFrom(limits.maxBatchEvents, limits.maxBatchEvents + 1)).map(([v, n]) => json("batch")(Array.from({ length: n }, () => (Array.isArray(v) ? v[0] : v)))),
    });
  }
  if (!op.body) {
    // Routes without a body mostly get none; some get one anyway.
    return fc.oneof({ weight: 8, arbitrary: fc.constant<BodySpec>({ kind: "none" }) }, { weight: 2, arbitrary: fc.oneof(...arbitraries) });
  }
  return fc.oneof(...arbitraries);
}

// ---------------------------------------------------------------------------------------------
// Query strings

const QUERY_VALUES = [
  "", "-1", "0", "1", "2", "50", "1000", "1001", "999999999999999999999", "1e3", "1e309", "-0", "1.5", "0x10", "%205", "5%20", "+5", "NaN", "Infinity",
  "-Infinity", "null", "true", "false", "[]", "{}", "%00", "%zz", "%", "%25", "a%00b", "%C3%28", "%F0%9F%98%80", "pending", "failed",
  "succeeded", "cancelled", "delivering", "lost", "admin", "tenant", "portal", "a.b", "a.*", "*", "__proto__",
];
const QUERY_KEYS = ["limit", "cursor", "__proto__", "constructor", "toString", "hasOwnProperty", "limit[]", "limit[0]", "limit[a]", "LIMIT", "limit%20", "%20limit", "limit+", "a.b", "", "%6Cimit", "type", "status"];

function queryValue(p: Param | undefined): fc.Arbitrary<Piece> {
  const known: fc.Arbitrary<Piece>[] = [];
  if (p) {
    known.push(valueOf(p.schema, p.name).map((v) => ({ wire: pct(typeof v === "string" ? v : JSON.stringify(v) ?? "") })));
    if (p.name === "cursor") known.push(refOf("*").map((r) => ({ ...r, cursor: true })));
    const m = /^(.*)Id$/.exec(p.name);
    if (m) known.push(refOf(m[1] === "tenant" ? "tenant" : `${m[1]}s`, 4));
  }
  return fc.oneof(
    ...known.map((arbitrary) => ({ weight: 80, arbitrary })),
    { weight: 60, arbitrary: fc.constantFrom(...QUERY_VALUES).map((wire) => ({ wire })) },
    { weight: 40, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }).map((s) => ({ wire: pct(s) })) },
    { weight: 20, arbitrary: fc.string({ unit: rawTargetChar, maxLength: 20 }).map((wire) => ({ wire })) },
    { weight: 1, arbitrary: rawHighByte.map((wire) => ({ wire })) },
    { weight: 20, arbitrary: fc.integer({ min: 100, max: 2000 }).map((n) => ({ wire: "9".repeat(n) })) },
  );
}

export function queryOf(op: Operation): fc.Arbitrary<{ query: QueryPart[]; rawQuery: string }> {
  const keyArb = fc.oneof(
    ...(op.queryParams.length ? [{ weight: 6, arbitrary: fc.constantFrom(...op.queryParams.map((p) => p.name)) }] : []),
    { weight: 2, arbitrary: fc.constantFrom(...QUERY_KEYS) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }).map(pct) },
  );
  const part: fc.Arbitrary<QueryPart> = keyArb.chain((key) =>
    fc.option(queryValue(op.queryParams.find((p) => p.name === key)), { nil: null, freq: 10 }).map((value) => ({ key, value })),
  );
  const raw = fc.constantFrom(
    "", "&", "&&&", "=", "==", "a", "%", "%zz", "a=%zz", "a[b]=c", "a[]=1&a[]=2", "a=1;b=2", "#frag", "__proto__[x]=1",
    "constructor[prototype][x]=1", "?", "??", "limit=1&limit=2&limit=3", "limit=1,2",
  );
  type Query = { query: QueryPart[]; rawQuery: string };
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<Query>({ query: [], rawQuery: "" }) },
    { weight: 5, arbitrary: fc.array(part, { maxLength: 5 }).map((query): Query => ({ query, rawQuery: "" })) },
    { weight: 2, arbitrary: fc.tuple(fc.array(part, { maxLength: 3 }), raw).map(([query, rawQuery]): Query => ({ query, rawQuery })) },
  );
}

// ---------------------------------------------------------------------------------------------
// Headers and credentials

const CONTENT_TYPES = [
  "application/json", "application/merge-patch+json", "application/json; charset=utf-8", "application/json; charset=latin1",
  "application/json; charset=utf-16", "APPLICATION/JSON", "application/json;", "application/json ; x=y", "application/jsonp",
  "application/json-seq", "application/problem+json", "text/plain", "text/json", "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x", "*/*", "", "application/", "/json", "json", "application/json, text/plain",
];
const HEADER_NAMES = [
  "accept", "accept-encoding", "accept-language", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded", "x-real-ip",
  "x-http-method-override", "x-method-override", "x-request-id", "if-none-match", "if-match", "if-modified-since", "range", "cookie", "origin",
  "referer", "user-agent", "content-encoding", "content-language", "idempotency-key", "prefer", "x-tenant", "x-api-key", "expect", "te",
  "connection", "cache-control", "pragma", "via", "max-forwards", "content-md5", "host", "content-type",
];
const HEADER_VALUES = [
  "*/*", "application/json", "text/html", "gzip", "br", "deflate", "identity", "x", "", "bytes=0-1", "close", "keep-alive", "100-continue",
  "trailers", "127.0.0.1", "::1", "fuzz-victim", "DELETE", "PATCH", "no-cache", "for=127.0.0.1;proto=https", "Thu, 01 Jan 1970 00:00:00 GMT", "*",
];
const headerValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HEADER_VALUES) },
  { weight: 2, arbitrary: fc.string({ unit: headerChar, maxLength: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 2000 }).map((n) => "v".repeat(n)) },
);
export const headersArb = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...HEADER_NAMES), headerValue) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ unit: tokenChar, minLength: 1, maxLength: 30 }), headerValue) },
  ),
  { maxLength: 4 },
);

export const contentTypeArb: fc.Arbitrary<string | null | "auto"> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<"auto">("auto") },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  { weight: 1, arbitrary: fc.string({ unit: headerChar, maxLength: 40 }) },
);

export function authOf(tenantKeys: boolean): fc.Arbitrary<AuthSpec> {
  const bad = fc
    .oneof(
      fc.constant(null),
      fc.constantFrom("", "Bearer", "Bearer ", "Bearer  ", "bearer", "Basic dXNlcjpwYXNz", "Token abc", "Bearer tsk_", "Bearer null", "Bearer undefined", "Bearer a b", "Bearer\tx"),
      fc.string({ unit: headerChar, maxLength: 60 }).map((s) => `Bearer x${s.replace(/\s/g, "")}`),
      fc.string({ unit: headerChar, maxLength: 60 }),
      fc.integer({ min: 100, max: 4000 }).map((n) => `Bearer ${"k".repeat(n)}`),
    )
    .map((header): AuthSpec => ({ kind: "bad", header }));
  return fc.oneof(
    { weight: 14, arbitrary: fc.constant<AuthSpec>({ kind: "admin" }) },
    ...(tenantKeys ? [{ weight: 3, arbitrary: fc.constant<AuthSpec>({ kind: "tenant-key" }) }] : []),
    { weight: 3, arbitrary: bad },
    { weight: 1, arbitrary: fc.constantFrom<AuthSpec>({ kind: "duplicate", first: "admin" }, { kind: "duplicate", first: "bad" }) },
  );
}

// ---------------------------------------------------------------------------------------------
// Whole requests

/** Most requests spell the path as the template does; one in five another way a client or proxy might. */
const spellingArb = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: SPELLING_COUNT }) });

export function requestOf(op: Operation, limits: Limits, tenantKeys: boolean): fc.Arbitrary<FuzzRequest> {
  const methods = op.method === "GET" ? fc.constantFrom("GET", "GET", "GET", "GET", "HEAD") : fc.constant(op.method);
  return fc.record({
    method: methods,
    template: fc.constant(op.template),
    params: fc.tuple(...op.pathParams.map((p) => pathParam(op, p))),
    q: queryOf(op),
    body: bodyOf(op, limits),
    contentType: contentTypeArb,
    headers: headersArb,
    chunked: fc.boolean(),
    auth: authOf(tenantKeys),
    spelling: spellingArb,
  }).map(({ q, ...r }) => ({ ...r, query: q.query, rawQuery: q.rawQuery }));
}

const WRONG_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "SEARCH", "PURGE", "LOCK", "FOO"];

/**
 * Requests the document does not describe: methods a known path does not take, and paths that do
 * not exist (under /v1 and elsewhere). They must be problem documents too.
 */
export function unroutedOf(ops: Operation[], limits: Limits, tenantKeys: boolean): fc.Arbitrary<FuzzRequest> {
  const templates = [...new Set(ops.map((o) => o.template))];
  const declared = new Set(ops.map((o) => o.key));
  const known = fc
    .tuple(fc.constantFrom(...templates), fc.constantFrom(...WRONG_METHODS))
    .filter(([t, m]) => !declared.has(`${m} ${t}`) && !(m === "HEAD" && declared.has(`GET ${t}`)));
  const unknownPath = fc
    .tuple(fc.constantFrom("/v1", "/v1/tenants/{tenant}", "", "/v2", "/v1/tenants/{tenant}/endpoints/{id}"), fc.array(rawSegment.map((s) => s.wire), { minLength: 1, maxLength: 4 }))
    .map(([prefix, segs]) => `${prefix}/${segs.map((s) => s.replace(/[{}]/g, "_")).join("/")}`);
  const target = fc.oneof(known.map(([t, m]) => ({ t, m })), fc.tuple(unknownPath, fc.constantFrom(...WRONG_METHODS.slice(0, 9))).map(([t, m]) => ({ t, m })));
  const pseudo: Operation = { key: "ANY (unrouted)", method: "ANY", template: "", pathParams: [], queryParams: [], body: null, public: false, roles: null, unrouted: true };
  return target.chain(({ t, m }) => {
    const names = [...t.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]);
    const op: Operation = { ...pseudo, template: t, pathParams: names.map((name) => ({ name, schema: {}, required: true })) };
    return fc
      .record({
        params: fc.tuple(...op.pathParams.map((p) => pathParam(op, p))),
        q: queryOf(op),
        body: bodyOf({ ...op, method: m }, limits),
        contentType: contentTypeArb,
        headers: headersArb,
        chunked: fc.boolean(),
        auth: authOf(tenantKeys),
        spelling: spellingArb,
      })
      .map(({ q, ...r }): FuzzRequest => ({ ...r, method: m, template: t, query: q.query, rawQuery: q.rawQuery }));
  });
}
