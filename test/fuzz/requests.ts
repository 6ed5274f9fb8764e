import fc from "fast-check";
import { SPELLING_COUNT } from "../support/spellings.ts";
import { type AuthSpec, type FuzzRequest, type Limits, type Operation, type Param, type Piece, type QueryPart, collectionOf, refOf } from "./routes.ts";
import { bodyOf, valueOf } from "./values.ts";

// Whole fuzzed requests to an operation (routes.ts), and to methods and paths the document does not
// describe: path segments, query strings, headers, Content-Types and credentials, with bodies from
// values.ts.

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
  "",
  ".",
  "..",
  "../",
  "..%2F",
  "%2e%2e",
  "%2E%2E%2F",
  "..%2F..%2F..%2Fetc%2Fpasswd",
  "%00",
  "a%00b",
  "%2F",
  "/",
  "//",
  "%25",
  "%",
  "%zz",
  "%C0%AF",
  "%C3%28",
  "%FF",
  "%ED%A0%80",
  "%F0%9F%98%80",
  "%u0041",
  "%0A",
  "%0D%0A",
  "%20",
  "+",
  "*",
  "~",
  "'",
  '"',
  "<script>",
  "{",
  "}",
  "|",
  "\\",
  "^",
  "`",
  "[",
  "]",
  ";",
  "@",
  ":",
  "$",
  "&",
  "=",
  ",",
  "!",
  "(",
  ")",
  "#",
  "?",
  "?x=1",
  "#frag",
  "null",
  "undefined",
  "NaN",
  "0",
  "-1",
  "1e999",
  "true",
  "__proto__",
  "constructor",
  "prototype",
  "hasOwnProperty",
  "ep_",
  "evt_",
  "dlv_",
  "key_",
  "ten_",
  "*.*",
  "a.*",
  "tocsin.test",
  "SELECT",
  "' OR '1'='1",
  "%27%20OR%20%271%27%3D%271",
  "${jndi:ldap://x.invalid/a}",
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
      arbitrary: fc
        .tuple(fc.constantFrom("ep_", "evt_", "dlv_", "key_", "ten_", ""), fc.string({ unit: fc.constantFrom(...ULID.split("")), minLength: 1, maxLength: 30 }))
        .map(([p, s]) => p + s),
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

export const pathParam = (op: Operation, p: Param): fc.Arbitrary<Piece> =>
  fc.oneof({ weight: 3, arbitrary: refOf(collectionOf(op.template, p.name)) }, { weight: 2, arbitrary: rawSegment });

// ---------------------------------------------------------------------------------------------
// Query strings

const QUERY_VALUES = [
  "",
  "-1",
  "0",
  "1",
  "2",
  "50",
  "1000",
  "1001",
  "999999999999999999999",
  "1e3",
  "1e309",
  "-0",
  "1.5",
  "0x10",
  "%205",
  "5%20",
  "+5",
  "NaN",
  "Infinity",
  "-Infinity",
  "null",
  "true",
  "false",
  "[]",
  "{}",
  "%00",
  "%zz",
  "%",
  "%25",
  "a%00b",
  "%C3%28",
  "%F0%9F%98%80",
  "pending",
  "failed",
  "succeeded",
  "cancelled",
  "delivering",
  "lost",
  "admin",
  "tenant",
  "portal",
  "a.b",
  "a.*",
  "*",
  "__proto__",
];
const QUERY_KEYS = [
  "limit",
  "cursor",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "limit[]",
  "limit[0]",
  "limit[a]",
  "LIMIT",
  "limit%20",
  "%20limit",
  "limit+",
  "a.b",
  "",
  "%6Cimit",
  "type",
  "status",
];

function queryValue(p: Param | undefined): fc.Arbitrary<Piece> {
  const known: fc.Arbitrary<Piece>[] = [];
  if (p) {
    known.push(valueOf(p.schema, p.name).map((v) => ({ wire: pct(typeof v === "string" ? v : (JSON.stringify(v) ?? "")) })));
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
    "",
    "&",
    "&&&",
    "=",
    "==",
    "a",
    "%",
    "%zz",
    "a=%zz",
    "a[b]=c",
    "a[]=1&a[]=2",
    "a=1;b=2",
    "#frag",
    "__proto__[x]=1",
    "constructor[prototype][x]=1",
    "?",
    "??",
    "limit=1&limit=2&limit=3",
    "limit=1,2",
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
  "application/json",
  "application/merge-patch+json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "application/json; charset=utf-16",
  "APPLICATION/JSON",
  "application/json;",
  "application/json ; x=y",
  "application/jsonp",
  "application/json-seq",
  "application/problem+json",
  "text/plain",
  "text/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "*/*",
  "",
  "application/",
  "/json",
  "json",
  "application/json, text/plain",
];
const HEADER_NAMES = [
  "accept",
  "accept-encoding",
  "accept-language",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "forwarded",
  "x-real-ip",
  "x-http-method-override",
  "x-method-override",
  "x-request-id",
  "if-none-match",
  "if-match",
  "if-modified-since",
  "range",
  "cookie",
  "origin",
  "referer",
  "user-agent",
  "content-encoding",
  "content-language",
  "idempotency-key",
  "prefer",
  "x-tenant",
  "x-api-key",
  "expect",
  "te",
  "connection",
  "cache-control",
  "pragma",
  "via",
  "max-forwards",
  "content-md5",
  "host",
  "content-type",
];
const HEADER_VALUES = [
  "*/*",
  "application/json",
  "text/html",
  "gzip",
  "br",
  "deflate",
  "identity",
  "x",
  "",
  "bytes=0-1",
  "close",
  "keep-alive",
  "100-continue",
  "trailers",
  "127.0.0.1",
  "::1",
  "fuzz-victim",
  "DELETE",
  "PATCH",
  "no-cache",
  "for=127.0.0.1;proto=https",
  "Thu, 01 Jan 1970 00:00:00 GMT",
  "*",
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
      fc.constantFrom(
        "",
        "Bearer",
        "Bearer ",
        "Bearer  ",
        "bearer",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer tsk_",
        "Bearer null",
        "Bearer undefined",
        "Bearer a b",
        "Bearer\tx",
      ),
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
  return fc
    .record({
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
    })
    .map(({ q, ...r }) => ({ ...r, query: q.query, rawQuery: q.rawQuery }));
}

const WRONG_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "SEARCH", "PURGE", "LOCK", "FOO"];

/** The operation that stands for every request no route takes (wrong methods on known paths, unknown paths). */
export const UNROUTED: Operation = {
  key: "ANY (unrouted)",
  method: "ANY",
  template: "",
  pathParams: [],
  queryParams: [],
  body: null,
  public: false,
  roles: null,
  unrouted: true,
};

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
    .tuple(
      fc.constantFrom("/v1", "/v1/tenants/{tenant}", "", "/v2", "/v1/tenants/{tenant}/endpoints/{id}"),
      fc.array(
        rawSegment.map((s) => s.wire),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([prefix, segs]) => `${prefix}/${segs.map((s) => s.replace(/[{}]/g, "_")).join("/")}`);
  const target = fc.oneof(
    known.map(([t, m]) => ({ t, m })),
    fc.tuple(unknownPath, fc.constantFrom(...WRONG_METHODS.slice(0, 9))).map(([t, m]) => ({ t, m })),
  );
  const pseudo = UNROUTED;
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
