// Reading Tocsin's OpenAPI document in tests.

/** The part of an OpenAPI document that `$ref`s point into. */
export type Components = { components?: Record<string, Record<string, unknown>> };

type JsonSchema = { [k: string]: unknown };
type OpenApiOperation = {
  parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  security?: Record<string, string[]>[];
};
export type OpenApiDocument = { paths: Record<string, Record<string, OpenApiOperation>>; security?: Record<string, string[]>[] } & Components;

/** `value` with every `{"$ref": "#/components/<kind>/<name>"}` replaced by what it names (the API's schemas have no cycles). */
export function inlineRefs(value: unknown, doc: Components, depth = 0): unknown {
  if (depth > 50) throw new Error("$ref nesting deeper than 50: a cycle?");
  if (Array.isArray(value)) return value.map((v) => inlineRefs(v, doc, depth + 1));
  if (typeof value !== "object" || value === null) return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === "string") {
    const [, kind, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref) ?? [];
    const target = kind ? doc.components?.[kind]?.[name] : undefined;
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
    return inlineRefs(target, doc, depth + 1);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inlineRefs(v, doc, depth + 1)]));
}
