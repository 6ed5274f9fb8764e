import { Type } from "typebox";
import { component } from "./component.ts";
import { EventTypeName, Nullable, Timestamp, listOf } from "./common.ts";
import { EndpointOut, Secret } from "./endpoints.ts";

// What is done to an endpoint besides its settings: replays, secret rotation, test calls,
// previews and validation.

export const ReplayIn = component(
  "ReplayIn",
  Type.Object(
    {
      since: Timestamp,
      until: Type.Optional(Type.String({ format: "date-time", description: "Exclusive end of the range (default: now)" })),
      status: Type.Optional(
        Type.Union([Type.Literal("failed"), Type.Literal("all")], {
          description: "failed (default): the endpoint's failed deliveries; all: every matching event",
        }),
      ),
    },
    { additionalProperties: false },
  ),
);

export const ReplayOut = component(
  "ReplayOut",
  Type.Object({
    id: Type.String({ description: "rpl_ id" }),
    tenantId: Type.String(),
    endpointId: Type.String(),
    since: Timestamp,
    until: Timestamp,
    status: Type.Union([Type.Literal("failed"), Type.Literal("all")], { description: "What is replayed, as asked" }),
    state: Type.Union([Type.Literal("running"), Type.Literal("completed"), Type.Literal("cancelled")], { description: "cancelled: the endpoint was deleted" }),
    total: Type.Integer({ description: "Items to walk: failed deliveries, or events of the range (counted at the start, exact once completed)" }),
    processed: Type.Integer(),
    queued: Type.Integer({ description: "Deliveries queued again or created" }),
    skipped: Type.Integer({ description: "Already pending, no longer failed, or not matching the endpoint's event types and severity" }),
    progress: Type.Number({ minimum: 0, maximum: 1 }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    finishedAt: Nullable(Timestamp),
  }),
);

export const SecretRotateIn = component(
  "SecretRotateIn",
  Type.Object({ secret: Type.Optional(Secret) }, { additionalProperties: false, description: "Optional: the new secret; generated when omitted" }),
);
export const SecretRotateOut = component(
  "SecretRotateOut",
  Type.Object({
    secret: Type.String(),
    previousSecretExpiresAt: Nullable(Timestamp),
    overlap: Type.Boolean({ description: "true: deliveries carry both signatures until previousSecretExpiresAt; false: the new secret applies at once" }),
    detail: Type.String(),
  }),
);
export const TestCallIn = component(
  "TestCallIn",
  Type.Object(
    { eventType: Type.Optional(EventTypeName) },
    { additionalProperties: false, description: "eventType: send that type's example payload; omitted: a small built-in payload" },
  ),
);
export const TestCallOut = component(
  "TestCallOut",
  Type.Object({
    request: Type.Object({
      method: Type.String(),
      url: Type.String(),
      headers: Type.Record(Type.String(), Type.String(), { description: "As sent; credentials redacted" }),
      body: Nullable(Type.String()),
    }),
    response: Nullable(
      Type.Object({ status: Type.Integer(), headers: Type.Record(Type.String(), Type.String()), body: Type.String({ description: "First 16 KiB" }) }),
    ),
    error: Nullable(Type.Object({ class: Type.String(), message: Type.String() })),
    durationMs: Type.Integer(),
  }),
);
export const PreviewIn = component(
  "PreviewIn",
  Type.Object(
    {
      eventType: Type.Optional(EventTypeName),
      payload: Type.Optional(Type.Unknown({ description: "The payload to render; default: the event type's example, or a built-in one" })),
    },
    { additionalProperties: false },
  ),
);
export const PreviewOut = component(
  "PreviewOut",
  Type.Object({
    contentType: Type.String(),
    body: Type.String({ description: "Exactly the bytes the endpoint would receive" }),
  }),
);
export const ValidateOut = component("ValidateOut", Type.Object({ endpoint: EndpointOut, result: TestCallOut }));
export const ReplayList = listOf(ReplayOut);
