// Markdown for docs/reference.md (scripts/api-reference.ts): escaping, anchors, and the field tables of JSON Schemas.
import { type Schema, enumValues, fieldsOf, isObjectish, isPage, unwrap, variantsOf } from "./reference-schema.ts";

/** Prose from the document: a `<` that could open an HTML tag is escaped outside code spans (GitHub would drop `<token>`). */
export function inline(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/<(?=[A-Za-z/!?])/g, "&lt;")))
    .join("");
}

/** Table-cell text: one line, pipes escaped. */
export function cell(text: string): string {
  return inline(text.replace(/\s*\n\s*/g, " ")).replace(/\|/g, "\\|");
}

export const code = (v: unknown) => `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

export function bounds(s: Schema): string[] {
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

export class Renderer {
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
