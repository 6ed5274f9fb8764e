import type { TSchema } from "typebox";

// Named schemas: each is registered once (its `$id` is its name) and every other schema, route
// and the OpenAPI document refer to it by `$ref`, so /openapi.json lists it once under
// components.schemas and the generated client names it instead of repeating it.

const named = new Map<string, TSchema>();
let sealed = false;

/**
 * Names `schema` `id` and returns a reference to it (`{ $ref: id }`). The reference is typed as
 * the schema itself, so whatever holds it (another schema, a route through the TypeBox type
 * provider) gets the schema's static type. Its members are not there at run time: build derived
 * schemas from the schema, before naming it.
 */
export function component<T extends TSchema>(id: string, schema: T): T {
  if (sealed) throw new Error(`schema ${id} is named after the server registered the named schemas: name it when its module loads`);
  if (named.has(id)) throw new Error(`schema ${id} is named twice`);
  named.set(id, { ...schema, $id: id });
  return { $ref: id } as unknown as T;
}

/** The name a reference made by `component` points at, or null for an inline schema. */
export function componentName(schema: TSchema): string | null {
  const ref = (schema as { $ref?: unknown }).$ref;
  return typeof ref === "string" && named.has(ref) ? ref : null;
}

/** Every named schema, each with its `$id`, in the order they were named; no more may be named after. */
export function namedSchemas(): TSchema[] {
  sealed = true;
  return [...named.values()];
}
