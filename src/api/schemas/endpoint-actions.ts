import { Type } from "typebox";
import { EVENT_TYPE_PATTERN } from "../../core/event-types.ts";
import { RETRY_FAILED_COUNT_CAP } from "../../services/replays.ts";
import { component } from "./component.ts";
import { EventTypeName, Nullable, Timestamp, listOf } from "./common.ts";
import { EndpointOut, Secret } from "./endpoints.ts";

// What is done to an endpoint besides its settings: replays, secret rotation, test calls,
// previews and validation.

/** A point in time as a request may give it; the server resolves a duration when it receives the request. */
const GivenTime = (description: string) =>
  Type.String({ maxLength: 64, description: `${description}: an RFC 3339 date-time (2026-11-23T08:00:00Z) or a duration before the request (30m, 1h, 3d)` });

export const ReplayIn = component(
  "ReplayIn",
  Type.Object(
    {
      since: GivenTime("Start of the range (inclusive)"),
      until: Type.Optional(GivenTime("Exclusive end of the range (default: now)")),
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
    endpointId: Nullable(Type.String({ description: "null: every endpoint of the tenant (a retry of all failed deliveries)" })),
    eventType: Nullable(Type.String({ description: "Only deliveries of this event type (`prefix.*` for a family); null: every type" })),
    since: Type.String({ format: "date-time", description: "Start of the range as resolved when the job was made (ISO 8601 UTC)" }),
    until: Type.String({ format: "date-time", description: "Exclusive end of the range as resolved when the job was made (ISO 8601 UTC)" }),
    sinceAgo: Nullable(Type.String({ description: "since as the request gave it, when it was a duration before the request (1h); null for a date-time" })),
    untilAgo: Nullable(Type.String({ description: "until as the request gave it, when it was a duration; null for a date-time or none" })),
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

export const RetryFailedIn = component(
  "RetryFailedIn",
  Type.Object(
    {
      endpointId: Type.Optional(Type.String({ maxLength: 100, description: "Only this endpoint's failed deliveries (default: every endpoint)" })),
      eventType: Type.Optional(
        Type.String({ pattern: EVENT_TYPE_PATTERN, maxLength: 200, description: "An event type, `prefix.*` for a family, or `*` for any (default)" }),
      ),
      since: Type.Optional(GivenTime("Only deliveries created at or after this time (default: all)")),
      until: Type.Optional(GivenTime("Only deliveries created before this time (default: now)")),
      dryRun: Type.Optional(Type.Boolean({ description: "true: only count the matching failed deliveries (200 RetryFailedCount); nothing is queued" })),
    },
    { additionalProperties: false, description: "The delivery log's filter; the status is failed" },
  ),
);

export const RetryFailedCount = component(
  "RetryFailedCount",
  Type.Object({
    matched: Type.Integer({ minimum: 0, description: `Failed deliveries matching the filter, counted up to ${RETRY_FAILED_COUNT_CAP}` }),
  }),
);

export const SecretRotateIn = component(
  "SecretRotateIn",
  Type.Object(
    { secret: Type.Optional(Secret) },
    {
      additionalProperties: false,
      description:
        "Optional: the new secret; generated when omitted. Under signing.scheme ed25519 a new key pair is always made, and a secret is refused (400 naming /secret)",
    },
  ),
);
const rotation = {
  previousSecretExpiresAt: Nullable(Timestamp),
  overlap: Type.Boolean({ description: "true: deliveries carry both signatures until previousSecretExpiresAt; false: the new secret applies at once" }),
  detail: Type.String(),
};
export const SecretRotateOut = component(
  "SecretRotateOut",
  Type.Union(
    [
      Type.Object({ secret: Type.String(), ...rotation }),
      Type.Object({
        publicKey: Type.String({ description: "signing.scheme ed25519: the new key pair's public key (whpk_…); the private key is never shown" }),
        ...rotation,
      }),
    ],
    { description: "The new secret; under signing.scheme ed25519 a new key pair is made and only its public key is answered" },
  ),
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
    filtered: Type.Optional(
      Type.Boolean({
        description: "Test only: true when the endpoint's filter excludes the event; nothing was sent (error.class is filtered, response is null)",
      }),
    ),
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
    filtered: Type.Boolean({ description: "true: the endpoint's filter excludes this event, so no delivery would be made for it" }),
    reason: Nullable(Type.String({ description: 'Why it would not be delivered ("would not be delivered: filter …"); null when it would be' })),
  }),
);
export const ValidateOut = component("ValidateOut", Type.Object({ endpoint: EndpointOut, result: TestCallOut }));
export const ReplayList = listOf(ReplayOut);
