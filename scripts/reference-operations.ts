// One operation's section of docs/reference.md (auth, parameters, request body, responses), and the OpenAPI types it reads.
import { type Components, type Schema, canonical, isPage, unwrap, variantsOf } from "./reference-schema.ts";
import { type Renderer, bounds, cell, code, inline } from "./reference-markdown.ts";

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

export function renderOperation(r: Renderer, doc: OpenApiDocument, method: string, path: string, op: Operation, maxBatchEvents: number): string[] {
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
