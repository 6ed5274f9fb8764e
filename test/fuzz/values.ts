import fc from "fast-check";
import { type BodySpec, type JsonSchema, type Limits, type Operation, REF_MARK, type Ref, refOf } from "./routes.ts";

// JSON values for fuzzed requests: valid ones generated from the document's JSON Schemas, mutations
// of them (wrong types, missing and unknown fields, boundary values, references to seeded ids), and
// whole bodies for an operation, JSON or not.

/** A reference inside a JSON body (see REF_MARK). */
const refString = (r: Ref) => `${REF_MARK}${r.ref}:${r.kind}:${r.n}`;

// ---------------------------------------------------------------------------------------------
// Values from JSON Schema (typebox output: const, enum, anyOf, oneOf, type, properties, ...)

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$/);
/**
 * Receiver URLs: hosts under .invalid (RFC 2606/6761: never resolves), and URLs the server must
 * refuse. Every other host is rewritten before sending (see confineUrls in network.ts).
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

const BOUNDARY_NUMBERS = [
  0,
  -0,
  -1,
  1,
  1.5,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  -1e308,
  5e-324,
  86_400,
  86_401,
  1000,
  1001,
  100,
  101,
];
const SPECIAL_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff\ud800",
  "🙂",
  "\u202e",
  "\r\n",
  "null",
  "true",
  "0",
  "-1",
  "NaN",
  "[]",
  "{}",
  "__proto__",
  "constructor",
  "../../etc/passwd",
  "*",
  "a.*",
  "tocsin.endpoint.test",
  "whsec_",
  "whsec_AAAA",
  "Bearer x",
  "http://127.0.0.1/",
  "https://a.example.invalid/",
  "1970-01-01T00:00:00Z",
  "9999-12-31T23:59:59Z",
  "2020-02-30T00:00:00Z",
  "not-a-date",
  "ß".repeat(100),
];
const UNKNOWN_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "x", "", " ", "id", "tenantId", "secret", "version", "createdAt"];

const mutation = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("replace" as const),
      at: fc.nat(),
      value: fc.constantFrom<unknown>(...BOUNDARY_NUMBERS, ...SPECIAL_STRINGS, null, true, false, [], {}, [null], { "": null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("remove" as const), at: fc.nat(), value: fc.constant(null) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("add" as const),
      at: fc.nat(),
      key: fc.oneof(fc.constantFrom(...UNKNOWN_KEYS), fc.string({ maxLength: 10 })),
      value: fc.jsonValue({ maxDepth: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("long" as const),
      at: fc.nat(),
      n: fc.oneof(
        fc.constantFrom(16, 64, 65, 128, 129, 200, 201, 255, 256, 257, 1000, 1001, 2000, 2001, 2048, 2049, 4096, 4097),
        fc.integer({ min: 0, max: 70_000 }),
      ),
      c: fc.constantFrom("a", "é", "🙂", "\u0000", "\\"),
    }),
  },
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
  "{",
  "}",
  "[",
  "]",
  "{,}",
  "[,]",
  '{"a":}',
  '{"a" 1}',
  "{'a':1}",
  "{a:1}",
  "NaN",
  "Infinity",
  "-",
  "01",
  "1.",
  ".5",
  "+1",
  "0x10",
  '"\\x41"',
  '"\\u12"',
  '"\\ud800"',
  '"\u0000"',
  '{"a":1,}',
  "[1,]",
  "//c\n{}",
  "/*c*/{}",
  "\ufeff{}",
  "{}{}",
  "{} x",
  "true false",
  "nul",
  "tru",
  '"unterminated',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"a":1,"a":2}',
  "1e999",
  "-1e999",
  "123456789012345678901234567890",
  " ",
  "\t\n",
  "null",
  '""',
  "0",
  "[]",
  "{}",
  "[{}]",
  '[{"__proto__":{"polluted":1}}]',
];

/** Bodies for `op`: valid, mutated, arbitrary, deeply nested, sized to the limits, not JSON, empty. */
export function bodyOf(op: Operation, limits: Limits): fc.Arbitrary<BodySpec> {
  const valid = op.body ? valueOf(op.body) : fc.jsonValue({ maxDepth: 3 });
  const json =
    (variant: string) =>
    (value: unknown): BodySpec => ({ kind: "json", value, variant });
  const mutated = fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([v, ms]) => ms.reduce(applyMutation, v));
  const withProto = fc.tuple(valid, fc.nat(), fc.constantFrom("__proto__", "constructor")).map(([v, at, key]) => {
    const text = JSON.stringify(v) ?? "null";
    return text.startsWith("{") && text !== "{}"
      ? `{"${key}":{"polluted":true,"prototype":{"polluted":true}},${text.slice(1)}`
      : `{"${key}":{"polluted":${at}}}`;
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
      arbitrary: fc
        .tuple(valid, fc.constantFrom(limits.maxBatchEvents, limits.maxBatchEvents + 1))
        .map(([v, n]) => json("batch")(Array.from({ length: n }, () => (Array.isArray(v) ? v[0] : v)))),
    });
  }
  if (!op.body) {
    // Routes without a body mostly get none; some get one anyway.
    return fc.oneof({ weight: 8, arbitrary: fc.constant<BodySpec>({ kind: "none" }) }, { weight: 2, arbitrary: fc.oneof(...arbitraries) });
  }
  return fc.oneof(...arbitraries);
}
