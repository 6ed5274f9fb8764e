import { type TSchema, Type } from "typebox";
import { EVENT_TYPE_NAME, EVENT_TYPE_PATTERN } from "../../core/event-types.ts";
import { TENANT_ID_PATTERN } from "../../services/tenants.ts";
import { component, componentName } from "./component.ts";

// Shared pieces: timestamps, names, list pages, and the RFC 9457 problem document.

export const Timestamp = Type.String({ format: "date-time", description: "ISO 8601 UTC" });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const Name = Type.String({ maxLength: 200 });
export const Text = Type.String({ maxLength: 2000 });
export const Metadata = Type.Record(Type.String(), Type.Unknown(), { description: "Free-form JSON object", maxProperties: 100 });

export const TenantId = Type.String({ pattern: TENANT_ID_PATTERN, description: "The operator's own customer id, or a generated one" });
export const EventTypeName = Type.String({ pattern: EVENT_TYPE_NAME, maxLength: 200 });
export const EventTypePatterns = Type.Array(Type.String({ pattern: EVENT_TYPE_PATTERN, maxLength: 200 }), {
  maxItems: 100,
  description: "Names, `prefix.*` or `*` (every type except tocsin.*). [] receives nothing.",
});

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

/** A page of `item`s, a named schema: `<item>List` (without the item's trailing Out). */
export const listOf = <T extends TSchema>(item: T) => {
  const name = componentName(item);
  if (!name) throw new Error("listOf takes a named schema");
  return component(
    `${name.replace(/Out$/, "")}List`,
    Type.Object({ data: Type.Array(item), nextCursor: Nullable(Type.String()) }, { additionalProperties: false }),
  );
};

export const Problem = component(
  "Problem",
  Type.Object(
    {
      type: Type.String(),
      title: Type.String(),
      status: Type.Integer(),
      detail: Type.String(),
      code: Type.String(),
      errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    },
    { description: "RFC 9457 problem document" },
  ),
);
