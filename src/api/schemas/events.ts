import { Type } from "typebox";
import { component } from "./component.ts";
import { FINGERPRINT_RULE } from "../../core/alerts.ts";
import { EventTypeName, Nullable, Text, Timestamp, listOf } from "./common.ts";
import { Severity } from "./endpoints.ts";

// Event types, and events as they are posted.

export const EventTypeCreate = component(
  "EventTypeCreate",
  Type.Object(
    { name: EventTypeName, description: Type.Optional(Nullable(Text)), schema: Type.Optional(Type.Unknown()), example: Type.Optional(Type.Unknown()) },
    { additionalProperties: false },
  ),
);
export const EventTypePatch = component(
  "EventTypePatch",
  Type.Object(
    { description: Type.Optional(Nullable(Text)), schema: Type.Optional(Type.Unknown()), example: Type.Optional(Type.Unknown()) },
    { additionalProperties: false },
  ),
);
export const EventTypeOut = component(
  "EventTypeOut",
  Type.Object({
    name: Type.String(),
    description: Nullable(Type.String()),
    schema: Type.Unknown({ description: "JSON Schema of the payload, or null" }),
    example: Type.Unknown({ description: "Example payload, or null" }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  }),
);

export const EventIn = component(
  "EventIn",
  Type.Object(
    {
      type: EventTypeName,
      severity: Type.Optional(Severity),
      payload: Type.Unknown({ description: "Any JSON value; numbers keep their source text on the wire" }),
      idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
      fingerprint: Type.Optional(
        Type.String({
          description: `The alert this event updates: a dedupe key, such as the vendor's own alert key. ${FINGERPRINT_RULE}`,
        }),
      ),
      state: Type.Optional(
        Type.Union([Type.Literal("start"), Type.Literal("ongoing"), Type.Literal("end")], {
          description: "The alert's phase (needs fingerprint; default start). A start for an open alert counts as ongoing.",
        }),
      ),
    },
    { additionalProperties: false, required: ["type", "payload"] },
  ),
);

export const IngestOne = component("IngestOne", Type.Object({ id: Type.String(), deliveries: Type.Integer() }));
export const IngestBatch = component("IngestBatch", Type.Object({ events: Type.Array(IngestOne) }));
export const EventTypeList = listOf(EventTypeOut);
