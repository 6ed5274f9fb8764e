import { type TSchema, Type } from "typebox";
import { EVENT_TYPE_NAME, EVENT_TYPE_PATTERN } from "../core/event-types.ts";
import { TENANT_ID_PATTERN } from "../services/tenants.ts";

// One set of schemas validates requests, shapes responses and generates /openapi.json.

const Timestamp = Type.String({ format: "date-time", description: "ISO 8601 UTC" });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Name = Type.String({ maxLength: 200 });
const Text = Type.String({ maxLength: 2000 });
const Metadata = Type.Record(Type.String(), Type.Unknown(), { description: "Free-form JSON object", maxProperties: 100 });

export const TenantId = Type.String({ pattern: TENANT_ID_PATTERN, description: "The operator's own customer id, or a generated one" });
export const EventTypeName = Type.String({ pattern: EVENT_TYPE_NAME, maxLength: 200 });
const EventTypePatterns = Type.Array(Type.String({ pattern: EVENT_TYPE_PATTERN, maxLength: 200 }), {
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

export const listOf = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), nextCursor: Nullable(Type.String()) }, { additionalProperties: false });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { description: "RFC 9457 problem document" },
);

export const TenantCreate = Type.Object(
  { id: Type.Optional(TenantId), name: Type.Optional(Nullable(Name)), metadata: Type.Optional(Metadata) },
  { additionalProperties: false },
);
export const TenantPatch = Type.Object({ name: Type.Optional(Nullable(Name)), metadata: Type.Optional(Nullable(Metadata)) }, { additionalProperties: false });
export const TenantOut = Type.Object(
  { id: Type.String(), name: Nullable(Type.String()), metadata: Metadata, createdAt: Timestamp, updatedAt: Timestamp },
);

const Secret = Type.String({ description: "whsec_ + base64 of 24 to 64 random bytes", maxLength: 200 });
export const EndpointCreate = Type.Object(
  {
    url: Type.String({ maxLength: 2048, description: "http or https URL of the receiver" }),
    name: Type.Optional(Nullable(Name)),
    description: Type.Optional(Nullable(Text)),
    eventTypes: EventTypePatterns,
    enabled: Type.Optional(Type.Boolean({ default: true })),
    secret: Type.Optional(Secret),
  },
  { additionalProperties: false },
);
export const EndpointPatch = Type.Object(
  {
    url: Type.Optional(Type.String({ maxLength: 2048 })),
    name: Type.Optional(Nullable(Name)),
    description: Type.Optional(Nullable(Text)),
    eventTypes: Type.Optional(EventTypePatterns),
    enabled: Type.Optional(Type.Boolean()),
    secret: Type.Optional(Secret),
  },
  { additionalProperties: false },
);
export const EndpointOut = Type.Object(
  {
    id: Type.String(),
    tenantId: Type.String(),
    url: Type.String(),
    name: Nullable(Type.String()),
    description: Nullable(Type.String()),
    eventTypes: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    disabledReason: Nullable(Type.Union([Type.Literal("manual"), Type.Literal("gone"), Type.Literal("failing")])),
    status: Type.Union([
      Type.Literal("active"),
      Type.Literal("disabled"),
      Type.Literal("pending_validation"),
      Type.Literal("validation_failed"),
      Type.Literal("failing"),
    ]),
    secretSet: Type.Boolean(),
    version: Type.Integer(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);

export const EventTypeCreate = Type.Object(
  { name: EventTypeName, description: Type.Optional(Nullable(Text)), schema: Type.Optional(Type.Unknown()), example: Type.Optional(Type.Unknown()) },
  { additionalProperties: false },
);
export const EventTypePatch = Type.Object(
  { description: Type.Optional(Nullable(Text)), schema: Type.Optional(Type.Unknown()), example: Type.Optional(Type.Unknown()) },
  { additionalProperties: false },
);
export const EventTypeOut = Type.Object(
  {
    name: Type.String(),
    description: Nullable(Type.String()),
    schema: Type.Unknown({ description: "JSON Schema of the payload, or null" }),
    example: Type.Unknown({ description: "Example payload, or null" }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);

export const EventIn = Type.Object(
  {
    type: EventTypeName,
    payload: Type.Unknown({ description: "Any JSON value; numbers keep their source text on the wire" }),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false, required: ["type", "payload"] },
);

export const IngestOne = Type.Object({ id: Type.String(), deliveries: Type.Integer() });
export const IngestBatch = Type.Object({ events: Type.Array(IngestOne) });

const DeliveryStatus = Type.Union(["pending", "delivering", "succeeded", "failed", "cancelled"].map((s) => Type.Literal(s)));
export const DeliveryOut = Type.Object(
  {
    id: Type.String(),
    tenantId: Type.String(),
    eventId: Type.String(),
    endpointId: Type.String(),
    eventType: Type.String(),
    status: DeliveryStatus,
    attemptCount: Type.Integer(),
    nextAttemptAt: Nullable(Timestamp),
    lastStatusCode: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);
export const AttemptOut = Type.Object(
  {
    id: Type.String(),
    deliveryId: Type.String(),
    attemptNo: Type.Integer(),
    startedAt: Timestamp,
    durationMs: Type.Integer(),
    statusCode: Nullable(Type.Integer()),
    errorClass: Nullable(Type.String()),
    errorMessage: Nullable(Type.String()),
    responseHeaders: Nullable(Type.Record(Type.String(), Type.String())),
    responseBody: Nullable(Type.String({ description: "First 16 KiB of the response body" })),
    willRetry: Type.Boolean(),
    nextAttemptAt: Nullable(Timestamp),
  },
);
export const EventOut = Type.Object(
  {
    id: Type.String(),
    tenantId: Type.String(),
    type: Type.String(),
    payload: Type.Unknown(),
    idempotencyKey: Nullable(Type.String()),
    createdAt: Timestamp,
  },
);
export const EventWithDeliveries = Type.Object({ ...EventOut.properties, deliveries: Type.Array(DeliveryOut) });
export const DeliveryWithAttempts = Type.Object({ ...DeliveryOut.properties, attempts: Type.Array(AttemptOut) });

export const DeliveryQuery = Type.Object(
  {
    ...ListQuery.properties,
    endpointId: Type.Optional(Type.String({ maxLength: 100 })),
    eventId: Type.Optional(Type.String({ maxLength: 100 })),
    status: Type.Optional(DeliveryStatus),
  },
  { additionalProperties: false },
);
export const EventQuery = Type.Object({ ...ListQuery.properties, type: Type.Optional(EventTypeName) }, { additionalProperties: false });
