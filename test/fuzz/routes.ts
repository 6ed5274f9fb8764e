import fc from "fast-check";
import { type OpenApiDocument, inlineRefs } from "../support/openapi.ts";

// The routes to fuzz, read from the server's own OpenAPI document, and the symbolic form of a
// request to one of them: path parameters, query strings, bodies, headers and credentials. A request
// is generated symbolically (ids of the seeded tenants are references, resolved when it is sent) so
// that a counterexample stays meaningful after the fixtures are re-created. values.ts generates the
// JSON values and bodies, requests.ts the whole requests.

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

/** A path or query value that stands for an id of a seeded tenant. */
export const refOf = (kind: string, victimWeight = 2): fc.Arbitrary<Ref> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.nat().map((n): Ref => ({ ref: "target", kind, n })) },
    { weight: victimWeight, arbitrary: fc.nat().map((n): Ref => ({ ref: "victim", kind, n })) },
    { weight: 1, arbitrary: fc.nat().map((n): Ref => ({ ref: "victim", kind: "*", n })) },
    { weight: 1, arbitrary: fc.nat().map((n): Ref => ({ ref: "target", kind: "*", n })) },
  );
