// Reading the JSON Schemas of Tocsin's OpenAPI document for docs/reference.md (scripts/api-reference.ts).

/** The parts of JSON Schema (as @fastify/swagger emits it) that the page renders. */
export interface Schema {
  $ref?: string;
  /** Set by `inlineRefs` on a schema that was a reference: the name it has under components.schemas. */
  "x-component"?: string;
  allOf?: Schema[];
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
}

/** Where `$ref`s point: the document's components. */
export interface Components {
  schemas?: Record<string, Schema>;
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
}

/**
 * `value` with each `$ref` replaced by what it points at, a named schema keeping its name as
 * `x-component`, and each `allOf` of objects merged into one object: the page renders named
 * schemas in full where it inlines them and links them by that name where it does not.
 */
export function inlineRefs(value: unknown, components: Components, depth = 0): unknown {
  if (depth > 64) throw new Error("$ref nesting deeper than 64");
  if (Array.isArray(value)) return value.map((v) => inlineRefs(v, components, depth + 1));
  if (value === null || typeof value !== "object") return value;
  const { $ref, ...rest } = value as Record<string, unknown>;
  if (typeof $ref === "string") {
    const [, kind, name = ""] = /^#\/components\/(schemas|responses)\/(.+)$/.exec($ref) ?? [];
    const target = kind === "schemas" ? components.schemas?.[name] : kind === "responses" ? components.responses?.[name] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${$ref}`);
    const resolved = inlineRefs(target, components, depth + 1) as Record<string, unknown>;
    return kind === "schemas" ? { ...resolved, "x-component": name } : { ...resolved, "x-response": name };
  }
  const out = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, inlineRefs(v, components, depth + 1)])) as Schema;
  if (!out.allOf?.every((m) => m.properties)) return out;
  const { allOf, ...own } = out;
  return {
    ...own,
    type: "object",
    properties: Object.assign({}, ...allOf.map((m) => m.properties)),
    required: allOf.flatMap((m) => m.required ?? []),
  } satisfies Schema;
}

export const variantsOf = (s: Schema) => s.anyOf ?? s.oneOf;
export const isNull = (s: Schema) => s.type === "null";

/** A nullable wrapper's inner schema (anyOf [X, null] → X), or the schema itself. */
export function unwrap(s: Schema): { inner: Schema; nullable: boolean } {
  const variants = variantsOf(s);
  if (!variants) return { inner: s, nullable: false };
  const rest = variants.filter((v) => !isNull(v));
  if (rest.length === variants.length) return { inner: s, nullable: false };
  const inner = rest.length === 1 ? rest[0]! : { ...s, anyOf: rest, oneOf: undefined };
  return { inner: { ...inner, description: s.description ?? inner.description }, nullable: true };
}

/** Every value of a union of enums (anyOf of one-value enums, as TypeBox writes literal unions), or null. */
export function enumValues(s: Schema): unknown[] | null {
  if (s.enum) return s.enum;
  const variants = variantsOf(s);
  if (!variants || variants.length === 0) return null;
  const all: unknown[] = [];
  for (const v of variants) {
    const values = enumValues(v);
    if (!values) return null;
    for (const x of values) if (!all.includes(x)) all.push(x);
  }
  return all;
}

export const isObjectish = (s: Schema) => s.type === "object" || !!s.properties;

/** A list's page: `data`, an array of items, and `nextCursor`. */
export const isPage = (s: Schema): s is Schema & { properties: { data: Schema & { items: Schema } } } =>
  Object.keys(s.properties ?? {})
    .sort()
    .join() === "data,nextCursor" &&
  s.properties?.data?.type === "array" &&
  !!s.properties.data.items;

export interface Field {
  schema: Schema;
  required: boolean;
  /** Set when the field exists only in some variants of a union: where it does. */
  only?: string;
}

/** Properties of an object, or of a union of objects merged (a field of some variants says which). */
export function fieldsOf(s: Schema): Map<string, Field> | null {
  const variants = variantsOf(s);
  if (!variants) return s.properties ? new Map(Object.entries(s.properties).map(([k, v]) => [k, { schema: v, required: !!s.required?.includes(k) }])) : null;
  if (!variants.every((v) => isObjectish(v) && v.properties)) return null;
  // A discriminator: a property in every variant, with one value in each.
  const disc = Object.keys(variants[0]?.properties ?? {}).find((k) => variants.every((v) => v.properties![k] && enumValues(v.properties![k])?.length === 1));
  const out = new Map<string, Field>();
  const seen = new Map<string, Schema[]>();
  for (const v of variants) {
    for (const [k, p] of Object.entries(v.properties!)) {
      const list = seen.get(k) ?? [];
      if (!list.some((x) => canonical(x) === canonical(p))) list.push(p);
      seen.set(k, list);
    }
  }
  for (const [k, list] of seen) {
    const holders = variants.filter((v) => v.properties![k]);
    const required = holders.length === variants.length && holders.every((v) => v.required?.includes(k));
    const schema = list.length === 1 ? list[0]! : { anyOf: list };
    let only: string | undefined;
    if (holders.length < variants.length) {
      only = disc
        ? `only with \`${disc}\` ${holders.map((v) => `\`${String(enumValues(v.properties?.[disc] ?? {})![0])}\``).join(", ")}`
        : "only in some forms";
    }
    out.set(k, { schema, required, only });
  }
  return out;
}
