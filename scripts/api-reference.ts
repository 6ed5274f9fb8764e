// Writes docs/reference.md from the OpenAPI 3.1 document the server serves at GET /openapi.json.
//
//   node scripts/api-reference.ts
//
// The document comes from a real `tocsin serve` started in this process on a temporary SQLite
// folder and a loopback port, asked for /openapi.json through Fastify's inject(); nothing else is
// read from it. The configuration is fixed (defaults only, never this shell's TOCSIN_* variables),
// so the page depends on the code alone. test/unit/api-reference.test.ts checks that the
// committed page is up to date.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { type Components, type Schema, canonical, enumValues, fieldsOf, inlineRefs, isObjectish, isPage, unwrap, variantsOf } from "./reference-schema.ts";
import { loadConfig } from "../src/config.ts";
import { serve } from "../src/main.ts";

export const REFERENCE_PATH = new URL("../docs/reference.md", import.meta.url);
export const REGENERATE = "node scripts/api-reference.ts";

interface Content {
  schema?: Schema;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema: Schema;
}
export interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, Content> };
  responses: Record<string, { "x-response"?: string; description?: string; content?: Record<string, Content> }>;
}
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: Components;
}

/** Settings that change the document; the page is produced with their defaults. */
const FIXED_ENV = { TOCSIN_HOST: "127.0.0.1", TOCSIN_PORT: "0", TOCSIN_LOG_LEVEL: "silent", TOCSIN_API_KEY: "tsk_reference_only" };

/** Starts the real server on a throwaway data folder and asks it for /openapi.json. */
export async function loadOpenApiDocument(): Promise<{ doc: OpenApiDocument; maxBatchEvents: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), "tocsin-reference-"));
  try {
    const config = loadConfig({ ...FIXED_ENV, TOCSIN_DATA_DIR: dataDir });
    const app = await serve(config, pino({ level: "silent" }));
    try {
      const res = await app.server!.inject({ method: "GET", url: "/openapi.json" });
      if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
      return { doc: res.json() as OpenApiDocument, maxBatchEvents: config.maxBatchEvents };
    } finally {
      await app.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- Markdown ---------------------------------------------------------------------------------

/** Prose from the document: a `<` that could open an HTML tag is escaped outside code spans (GitHub would drop `<token>`). */
function inline(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/<(?=[A-Za-z/!?])/g, "&lt;")))
    .join("");
}

/** Table-cell text: one line, pipes escaped. */
function cell(text: string): string {
  return inline(text.replace(/\s*\n\s*/g, " ")).replace(/\|/g, "\\|");
}

const code = (v: unknown) => `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function bounds(s: Schema): string[] {
  const out: string[] = [];
  const range = (lo: number | undefined, hi: number | undefined, unit: string) => {
    if (lo !== undefined && hi !== undefined) out.push(`${unit}${lo} to ${hi}`);
    else if (lo !== undefined) out.push(`${unit}≥ ${lo}`);
    else if (hi !== undefined) out.push(`${unit}≤ ${hi}`);
  };
  range(s.minimum, s.maximum, "");
  if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
  if (s.exclusiveMaximum !== undefined) out.push(`< ${s.exclusiveMaximum}`);
  range(s.minLength, s.maxLength, "length ");
  range(s.minItems, s.maxItems, "items ");
  if (s.maxProperties !== undefined) out.push(`entries ≤ ${s.maxProperties}`);
  if (s.pattern !== undefined) out.push(`pattern ${code(s.pattern)}`);
  return out;
}

class Renderer {
  /** Named schemas linked from responses, rendered once at the end. */
  readonly referenced = new Map<string, Schema>();

  /** The name of a schema the document refers to by `$ref`; lists of values and pages are described where they are used. */
  nameOf(s: Schema): string | undefined {
    return enumValues(s) || isPage(s) ? undefined : s["x-component"];
  }

  private link(s: Schema, linkNamed: boolean): string | undefined {
    const name = linkNamed ? this.nameOf(s) : undefined;
    if (!name) return undefined;
    this.referenced.set(name, s);
    return `[${name}](#${slug(name)})`;
  }

  /** The type column: `string (date-time)`, `array of string`, a link to a named schema… */
  typeOf(s: Schema, linkNamed: boolean): string {
    const { inner, nullable } = unwrap(s);
    return this.innerType(inner, linkNamed) + (nullable ? " or null" : "");
  }

  private innerType(s: Schema, linkNamed: boolean): string {
    const linked = this.link(s, linkNamed);
    if (linked) return linked;
    const values = enumValues(s);
    if (values) return [...new Set(values.map((v) => (Number.isInteger(v) ? "integer" : typeof v)))].join(" or ");
    const variants = variantsOf(s);
    if (variants) {
      if (linkNamed && variants.every((v) => this.nameOf(v))) return variants.map((v) => this.innerType(v, true)).join(" or ");
      if (variants.every(isObjectish)) return "object";
      return [...new Set(variants.map((v) => this.typeOf(v, linkNamed)))].join(" or ");
    }
    if (s.type === "array") return s.items ? `array of ${this.typeOf(s.items, linkNamed)}` : "array";
    if (isObjectish(s)) {
      if (!s.properties && typeof s.additionalProperties === "object") {
        const values = Object.keys(s.additionalProperties).length === 0 ? "any JSON" : this.typeOf(s.additionalProperties, linkNamed);
        return `object (name → ${values})`;
      }
      return "object";
    }
    if (!s.type) return "any JSON";
    return s.format ? `${s.type} (${s.format})` : s.type;
  }

  /** The notes column: description, allowed values, bounds, default. */
  notesOf(s: Schema): string {
    const { inner } = unwrap(s);
    const parts: string[] = [];
    const description = s.description ?? inner.description;
    if (description) parts.push(description.replace(/\.?\s*$/, ""));
    const values = enumValues(inner);
    if (values) parts.push(values.length === 1 ? `always ${code(values[0])}` : `one of ${values.map(code).join(", ")}`);
    parts.push(...bounds(inner));
    if (inner.type === "array" && inner.items) {
      const item = unwrap(inner.items).inner;
      const itemValues = enumValues(item);
      const each = [...(itemValues ? [`one of ${itemValues.map(code).join(", ")}`] : []), ...bounds(item)];
      if (each.length) parts.push(`each: ${each.join(", ")}`);
    }
    const dflt = s.default ?? inner.default;
    if (dflt !== undefined) parts.push(`default ${code(dflt)}`);
    return parts.join("; ");
  }

  /** Rows for every field, nested objects flattened as `a.b`, array items as `a[].b`, map values as `a.<name>.b`. */
  rows(s: Schema, linkNamed: boolean, prefix = "", out: string[][] = [], requiredColumn = true): string[][] {
    const fields = fieldsOf(s);
    if (!fields) return out;
    for (const [name, f] of fields) {
      const path = `${prefix}${name}`;
      // A linked schema is described in its own section.
      const linked = linkNamed && !!this.nameOf(unwrap(f.schema).inner);
      const notes = [f.only, linked ? "" : this.notesOf(f.schema)].filter(Boolean).join("; ");
      const type = cell(this.typeOf(f.schema, linkNamed));
      // Requests say which fields must be sent; responses say which may be missing.
      if (requiredColumn) out.push([code(path), type, f.required ? "yes" : "", cell(notes)]);
      else out.push([code(path), type, cell([notes, f.required ? "" : "may be absent"].filter(Boolean).join("; "))]);
      this.descend(f.schema, linkNamed, path, out, requiredColumn);
    }
    return out;
  }

  private descend(s: Schema, linkNamed: boolean, path: string, out: string[][], requiredColumn: boolean): void {
    const { inner } = unwrap(s);
    if (linkNamed && this.nameOf(inner)) return;
    if (fieldsOf(inner)) return void this.rows(inner, linkNamed, `${path}.`, out, requiredColumn);
    if (inner.type === "array" && inner.items) {
      const item = unwrap(inner.items).inner;
      if (!(linkNamed && this.nameOf(item)) && fieldsOf(item)) this.rows(item, linkNamed, `${path}[].`, out, requiredColumn);
      return;
    }
    const ap = inner.additionalProperties;
    if (typeof ap === "object" && fieldsOf(unwrap(ap).inner)) this.rows(unwrap(ap).inner, linkNamed, `${path}.<name>.`, out, requiredColumn);
  }

  table(s: Schema, linkNamed: boolean, requiredColumn: boolean): string[] {
    const rows = this.rows(s, linkNamed, "", [], requiredColumn);
    if (rows.length === 0) return [];
    const head = requiredColumn ? ["field", "type", "required", "notes"] : ["field", "type", "notes"];
    return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
  }
}

// ---- the page ---------------------------------------------------------------------------------

const TAG_ORDER = ["tenants", "endpoints", "events", "deliveries", "alerts", "replays", "event-types", "keys", "health"];
const METHODS = ["get", "post", "put", "patch", "delete"];
const tagTitle = (tag: string) => tag.charAt(0).toUpperCase() + tag.slice(1).replace(/-/g, " ");
/** An error response: the document's one shared Problem response. */
const isProblem = (r: { "x-response"?: string }) => r["x-response"] === "Problem";

/** The auth note src/api/auth.ts appends to each description; the page shows it as an Auth line instead. */
const AUTH_NOTE = /\n*(Tenant keys need the `[^`]+` scope\.|Admin keys only\.)$/;

function authLine(op: Operation, doc: OpenApiDocument & { security?: Record<string, string[]>[] }): string {
  const security = op.security ?? doc.security ?? [];
  if (security.length === 0) return "**Auth:** none.";
  const roles = security.flatMap((r) => Object.values(r).flat());
  if (roles.includes("admin")) return "**Auth:** admin keys only.";
  if (roles.length === 0) return "**Auth:** any key.";
  return `**Auth:** scope ${roles.map(code).join(", ")}.`;
}

function renderBody(r: Renderer, s: Schema, maxBatchEvents: number): string[] {
  const variants = variantsOf(s) ?? [];
  const [one, many] = variants;
  // One item, or an array of them (POST …/events).
  if (variants.length === 2 && one && many?.type === "array" && many.items && canonical(many.items) === canonical(one)) {
    const n = many.maxItems ?? maxBatchEvents;
    return [`One object, or an array of ${many.minItems ?? 0} to ${n} of them (one batch, in one transaction):`, "", ...r.table(one, false, true)];
  }
  if (s.type === "array" && s.items) return [`An array (${bounds(s).join(", ") || "any length"}) of:`, "", ...r.table(unwrap(s.items).inner, false, true)];
  const table = r.table(s, false, true);
  if (table.length) return table;
  if (s.type === "object" && s.properties && Object.keys(s.properties).length === 0) return ["`{}`: no fields."];
  return [`${r.typeOf(s, false)}${r.notesOf(s) ? `: ${r.notesOf(s)}` : ""}.`];
}

function renderResponse(r: Renderer, status: string, res: { description?: string; content?: Record<string, Content> }): string[] {
  const entries = Object.entries(res.content ?? {});
  const note = res.description && res.description !== "Default Response" ? ` ${inline(res.description)}.` : "";
  if (entries.length === 0) return [`- **${status}**: no body described.${note}`];
  const out: string[] = [];
  for (const [type, c] of entries) {
    const s = c.schema ?? {};
    const head = `- **${status}** \`${type}\`:`;
    const variants = variantsOf(s);
    const named = r.typeOf(s, true);
    if (r.nameOf(s) || (variants && variants.every((v) => r.nameOf(v)))) {
      out.push(`${head} ${named}.`);
      continue;
    }
    if (isPage(s)) {
      const item = s.properties.data.items;
      out.push(`${head} a page: \`data\`, an array of ${r.typeOf(item, true)}; \`nextCursor\`, a string or null.`);
      if (!r.nameOf(item)) out.push("", ...r.table(item, true, false).map((l) => `  ${l}`));
      continue;
    }
    const table = r.table(s, true, false);
    if (table.length === 0) out.push(`${head} ${named}.${note}`);
    else out.push(`${head}${note}`, "", ...table.map((l) => `  ${l}`));
  }
  return out;
}

function renderOperation(r: Renderer, doc: OpenApiDocument, method: string, path: string, op: Operation, maxBatchEvents: number): string[] {
  const out = [`### ${method.toUpperCase()} ${path}`, ""];
  if (op.summary) out.push(inline(op.summary.replace(/\.?$/, ".")), "");
  const description = (op.description ?? "").replace(AUTH_NOTE, "").trim();
  if (description) out.push(inline(description), "");
  out.push(authLine(op, doc), "");

  const params = [...(op.parameters ?? [])].sort((a, b) => (a.in === b.in ? 0 : a.in === "path" ? -1 : 1));
  if (params.length) {
    out.push("| parameter | in | type | required | notes |", "|---|---|---|---|---|");
    for (const p of params) {
      const notes = [p.description, r.notesOf(p.schema)].filter(Boolean).join("; ");
      out.push(`| ${code(p.name)} | ${p.in} | ${cell(r.typeOf(p.schema, false))} | ${p.required ? "yes" : ""} | ${cell(notes)} |`);
    }
    out.push("");
  }

  if (op.requestBody) {
    // Media types that take the same schema (a PATCH's merge patch and plain JSON) share one table.
    const bySchema = new Map<string, { types: string[]; schema: Schema }>();
    for (const [type, c] of Object.entries(op.requestBody.content)) {
      const key = canonical(c.schema ?? {});
      const entry = bySchema.get(key) ?? { types: [], schema: c.schema ?? {} };
      entry.types.push(code(type));
      bySchema.set(key, entry);
    }
    for (const { types, schema } of bySchema.values()) {
      out.push(`**Request body** ${types.join(" or ")}${op.requestBody.required ? "" : " (optional)"}:`, "", ...renderBody(r, schema, maxBatchEvents), "");
    }
  }

  const responses = Object.entries(op.responses).sort(([a], [b]) => (a < b ? -1 : 1));
  const ok = responses.filter(([, res]) => !isProblem(res));
  const errors = responses.filter(([, res]) => isProblem(res)).map(([s]) => s);
  if (ok.length) {
    out.push("**Responses:**", "");
    for (const [s, res] of ok) out.push(...renderResponse(r, s, res));
    out.push("");
  }
  if (errors.length) out.push(`**Errors:** ${errors.join(", ")}, as [problem documents](#problem-documents).`, "");
  return out;
}

/** The whole page, from a document; pure and deterministic. */
export function renderReference(document: OpenApiDocument, maxBatchEvents: number): string {
  const doc = { ...document, paths: inlineRefs(document.paths, document.components ?? {}) as OpenApiDocument["paths"] };
  const r = new Renderer();
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const tag = op.tags?.[0] ?? "other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, op }]);
    }
  }
  const tags = [...TAG_ORDER.filter((t) => byTag.has(t)), ...[...byTag.keys()].filter((t) => !TAG_ORDER.includes(t)).sort()];

  const out = [
    `<!-- generated by \`${REGENERATE}\`; do not edit -->`,
    "",
    "# API reference",
    "",
    `Generated by \`${REGENERATE}\`; do not edit. The source is the OpenAPI ${doc.openapi} document the`,
    "server serves at `GET /openapi.json`, built from the same route schemas (`src/api/`) that validate",
    "requests: change a route there, then run the command again.",
    "",
    inline(doc.info.description ?? ""),
    "",
    "- **Conventions** (ids, lists and cursors, merge patches, every error code) are in [api.md](api.md);",
    "  what each endpoint setting does is in [endpoints.md](endpoints.md).",
    "- **Auth:** `Authorization: Bearer <key>`. \"Admin keys only\" refuses tenant keys and portal",
    "  sessions. A scope (`events:write`, `endpoints:write`, `read`) is what a tenant key or portal",
    "  session must hold; admin keys hold every scope. See [api.md](api.md#authentication).",
    "- **Optional bodies:** the actions `…/secret/rotate`, `…/test`, `…/preview`, `…/validate`,",
    "  `…/portal-sessions` and `/v1/master-key/rotate` also accept no body at all, the same as `{}`,",
    "  although the document marks their body as required.",
    "- **Tables** flatten nested fields: `tls.clientCert` is `clientCert` inside `tls`, `alerts[].labels`",
    "  is `labels` in each item of `alerts`.",
    "- **Configuration:** the page shows what a server with the default configuration serves. Two",
    `  settings change the document: \`TOCSIN_MAX_BATCH_EVENTS\` (events in one request, ${maxBatchEvents} by default)`,
    "  and `TOCSIN_METRICS_TOKEN` (when set, `GET /metrics` needs it).",
    "",
    "## Contents",
    "",
  ];
  for (const tag of tags) {
    out.push(`- [${tagTitle(tag)}](#${slug(tagTitle(tag))}): ${byTag.get(tag)!.map(({ method, path }) => `[${method.toUpperCase()} ${path}](#${slug(`${method} ${path}`)})`).join(", ")}`);
  }
  out.push("- [Problem documents](#problem-documents)", "- [Schemas](#schemas)", "");

  for (const tag of tags) {
    out.push(`## ${tagTitle(tag)}`, "");
    for (const { method, path, op } of byTag.get(tag)!) out.push(...renderOperation(r, doc, method, path, op, maxBatchEvents));
  }

  out.push(
    "## Problem documents",
    "",
    "Every error is an RFC 9457 problem document, `Content-Type: application/problem+json`. The",
    "`code` says what went wrong; [api.md](api.md#conventions) lists every code, its status and when",
    "it is sent. Every operation lists the errors it can answer with, all as the document's one shared",
    "`Problem` response: besides its own, 500 (`internal`) and 503 (`unavailable`) everywhere, 429",
    "(`rate_limited`) wherever a key is needed, and 413 (`payload_too_large`) and 415",
    "(`unsupported_media_type`) wherever the method may carry a body (POST, PUT, PATCH, DELETE).",
    "",
  );
  const problem = document.components?.schemas?.Problem;
  if (problem) out.push(...r.table(problem, false, false), "");

  out.push("## Schemas", "", "Response bodies, under their names in the document's `components.schemas`.", "");
  // Rendering a schema can reference more of them: render until none is new.
  const done = new Set<string>();
  const pending = () => [...r.referenced.keys()].filter((n) => !done.has(n)).sort();
  const sections = new Map<string, string[]>();
  for (let next = pending(); next.length; next = pending()) {
    for (const name of next) {
      done.add(name);
      const s = r.referenced.get(name)!;
      const lines = [`### ${name}`, ""];
      if (s.description) lines.push(inline(s.description.replace(/\.?$/, ".")), "");
      lines.push(...r.table(s, true, false), "");
      sections.set(name, lines);
    }
  }
  for (const name of [...sections.keys()].sort()) out.push(...sections.get(name)!);
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

/** The page as the code stands: starts the server, reads its document, renders it. */
export async function generateReference(): Promise<string> {
  const { doc, maxBatchEvents } = await loadOpenApiDocument();
  return renderReference(doc, maxBatchEvents);
}

if (import.meta.main) {
  writeFileSync(REFERENCE_PATH, await generateReference());
  console.log(`wrote ${REFERENCE_PATH.pathname}`);
}
