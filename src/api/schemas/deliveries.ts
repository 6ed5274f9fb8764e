import { Type } from "typebox";
import { component } from "./component.ts";
import { EVENT_TYPE_PATTERN } from "../../core/event-types.ts";
import { EventTypeName, ListQuery, Nullable, Timestamp, listOf } from "./common.ts";
import { Severity } from "./endpoints.ts";

// Events as stored, deliveries, attempts, alerts, and the queries and statistics over them.

export const DeliveryStatus = component(
  "DeliveryStatus",
  Type.Union(
    [
      Type.Literal("pending"),
      Type.Literal("delivering"),
      Type.Literal("succeeded"),
      Type.Literal("failed"),
      Type.Literal("cancelled"),
      Type.Literal("suppressed"),
    ],
    {
      description:
        "suppressed: nothing was sent, on purpose (a silence, a maintenance window, a digest or flap damping); `reason` says why. Terminal, like succeeded, failed and cancelled",
    },
  ),
);
export const DeliveryReason = component(
  "DeliveryReason",
  Type.Object(
    {
      code: Type.Union([Type.Literal("silenced"), Type.Literal("folded"), Type.Literal("flapping")], {
        description: "silenced: a silence or maintenance window matched; folded: folded into a digest; flapping: held while its alert flaps",
      }),
      message: Type.String({ description: "The reason in a sentence" }),
      silenceId: Type.Optional(Type.String({ description: "The silence (or maintenance window) that matched" })),
      digestId: Type.Optional(Type.String({ description: "The digest this delivery was folded into" })),
    },
    { description: "Why a delivery was not sent as usual" },
  ),
);
const deliveryOut = Type.Object({
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
  batchId: Nullable(Type.String({ description: "The batch (bat_ id, sent as webhook-id) this delivery went in; null when sent alone" })),
  pinnedVersion: Nullable(Type.Integer({ description: "The endpoint version that shapes the body, fixed at the first attempt" })),
  sentToEndpointId: Nullable(
    Type.String({
      description:
        "The fallback endpoint that the latest attempt went (or is going) to, because this delivery's endpoint was failing (circuit open, or disabled for failing); null: its own endpoint, or no attempt yet",
    }),
  ),
  reason: Nullable(DeliveryReason),
  waitingFor: Type.Optional(
    Nullable(
      Type.Object(
        {
          reason: Type.Union(
            [
              Type.Literal("sending"),
              Type.Literal("endpoint_disabled"),
              Type.Literal("endpoint_validation"),
              Type.Literal("circuit_open"),
              Type.Literal("circuit_probe"),
              Type.Literal("retry"),
              Type.Literal("batch"),
              Type.Literal("scheduled"),
              Type.Literal("rate_limit"),
              Type.Literal("queue"),
            ],
            {
              description:
                "sending: an attempt is under way; endpoint_disabled / endpoint_validation: held until the endpoint is enabled / validated; circuit_open: the endpoint's circuit is open until `until`; circuit_probe: a probe decides whether the circuit closes; retry: the next attempt after a failure, at `until`; batch: sent with its batch at `until`; scheduled: a first attempt due at `until`; rate_limit: the endpoint's rate limit lets it go at `until`; queue: due now, waiting for a free sender",
            },
          ),
          until: Nullable(Timestamp),
        },
        {
          additionalProperties: false,
          description:
            "What a pending or delivering delivery waits for, from its endpoint's state now; null once settled. In the delivery list, a delivery's document and the retry answer (not in an event's or a batch's deliveries)",
        },
      ),
    ),
  ),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const AttemptOut = component(
  "AttemptOut",
  Type.Object({
    id: Type.String(),
    deliveryId: Type.String({ description: "The delivery, or the batch id for an attempt that sent a batch" }),
    batchId: Nullable(Type.String()),
    sentToEndpointId: Nullable(
      Type.String({
        description: "The fallback endpoint this attempt was sent to, shaped and signed by that endpoint's settings; null: the delivery's own endpoint",
      }),
    ),
    attemptNo: Type.Integer(),
    startedAt: Timestamp,
    durationMs: Type.Integer(),
    statusCode: Nullable(Type.Integer()),
    errorClass: Nullable(Type.String()),
    errorMessage: Nullable(Type.String()),
    request: Nullable(
      Type.Object(
        {
          method: Type.String(),
          url: Type.String(),
          headers: Type.Record(Type.String(), Type.String(), { description: "As sent, in wire order; credentials in authorization redacted" }),
          body: Nullable(Type.String({ description: "First 16 KiB of the body as sent (null for a GET)" })),
          bodyBytes: Type.Integer({ description: "The whole body's size in bytes" }),
        },
        { description: "The request this attempt sent; null when nothing was sent (a failed transform) or for attempts recorded before requests were kept" },
      ),
    ),
    responseHeaders: Nullable(Type.Record(Type.String(), Type.String())),
    responseBody: Nullable(Type.String({ description: "First 16 KiB of the response body" })),
    willRetry: Type.Boolean(),
    nextAttemptAt: Nullable(Timestamp),
  }),
);
const eventOut = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  type: Type.String(),
  severity: Nullable(Severity),
  payload: Type.Unknown(),
  idempotencyKey: Nullable(Type.String()),
  createdAt: Timestamp,
  fingerprint: Nullable(Type.String({ description: "The alert this event updated; null for other events" })),
  state: Nullable(
    Type.Union([Type.Literal("start"), Type.Literal("ongoing"), Type.Literal("end")], { description: "As stored: a start for an open alert becomes ongoing" }),
  ),
  startedAt: Type.String({ format: "date-time", description: "When the alert started (createdAt for other events)" }),
  updateCount: Type.Integer({ description: "Updates the alert had seen with this one (0 for its first event)" }),
});
export const AlertOut = component(
  "AlertOut",
  Type.Object({
    fingerprint: Type.String(),
    status: Type.Union([Type.Literal("open"), Type.Literal("resolved")]),
    startedAt: Timestamp,
    endedAt: Nullable(Timestamp),
    durationMs: Type.Integer({ description: "Until endedAt, or until now while open" }),
    updateCount: Type.Integer(),
    lastEventId: Type.String(),
    lastEventAt: Timestamp,
    holds: Type.Array(
      Type.Object({
        endpointId: Type.String(),
        reason: DeliveryReason,
        until: Nullable(
          Type.String({ format: "date-time", description: "When the hold ends by itself, where that is known (a silence's hold ends with the silence)" }),
        ),
      }),
      {
        description:
          "Endpoints whose sends of this alert are held (a silence or maintenance window matched, or flap damping), with the reason. When it is lifted, an endpoint whose receiver's view differs from the alert gets the alert's last event",
      },
    ),
  }),
);
export const DeliveryOut = component("DeliveryOut", deliveryOut);
export const EventOut = component("EventOut", eventOut);
export const EventWithDeliveries = component("EventWithDeliveries", Type.Intersect([EventOut, Type.Object({ deliveries: Type.Array(DeliveryOut) })]));
export const DeliveryWithAttempts = component("DeliveryWithAttempts", Type.Intersect([DeliveryOut, Type.Object({ attempts: Type.Array(AttemptOut) })]));

export const DeliveryQuery = Type.Object(
  {
    ...ListQuery.properties,
    endpointId: Type.Optional(Type.String({ maxLength: 100 })),
    eventId: Type.Optional(Type.String({ maxLength: 100 })),
    status: Type.Optional(DeliveryStatus),
    eventType: Type.Optional(
      Type.String({ pattern: EVENT_TYPE_PATTERN, maxLength: 200, description: "An event type, `prefix.*` for a family, or `*` for any" }),
    ),
    since: Type.Optional(Type.String({ format: "date-time", description: "Only deliveries created at or after this time" })),
    until: Type.Optional(Type.String({ format: "date-time", description: "Only deliveries created before this time" })),
  },
  { additionalProperties: false },
);
export const DeliveryStatsQuery = Type.Object(
  {
    since: Type.String({ format: "date-time", description: "Start of the range (inclusive)" }),
    until: Type.Optional(Type.String({ format: "date-time", description: "End of the range (exclusive); default: now. At most 31 days after since" })),
    buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 24, description: "Equal slices of the range" })),
    endpointId: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export const OutcomeCounts = component(
  "OutcomeCounts",
  Type.Object({
    succeeded: Type.Integer(),
    failed: Type.Integer(),
    waiting: Type.Integer({ description: "pending or delivering" }),
    cancelled: Type.Integer(),
    suppressed: Type.Integer({ description: "not sent on purpose (silenced, folded, flapping)" }),
  }),
);
export const DeliveryStatsOut = component(
  "DeliveryStatsOut",
  Type.Object({
    since: Timestamp,
    until: Timestamp,
    bucketMs: Type.Integer({ description: "Width of each bucket" }),
    buckets: Type.Array(Type.Object({ start: Timestamp, counts: OutcomeCounts }), { description: "Deliveries by creation time and current outcome" }),
    totals: OutcomeCounts,
    latency: Type.Object(
      {
        count: Type.Integer({ description: "Attempts measured" }),
        p50: Nullable(Type.Integer()),
        p90: Nullable(Type.Integer()),
        p99: Nullable(Type.Integer()),
        max: Nullable(Type.Integer()),
        histogram: Type.Array(
          Type.Object({ upToMs: Nullable(Type.Integer({ description: "Upper bound in ms; null: slower than the last bound" })), count: Type.Integer() }),
        ),
      },
      { description: "Durations of the attempts of these deliveries, in ms (nearest-rank percentiles)" },
    ),
    sampled: Type.Boolean({ description: "true: the range held more deliveries than one query reads (100,000), and the figures cover the newest of them" }),
  }),
);
export const EventQuery = Type.Object({ ...ListQuery.properties, type: Type.Optional(EventTypeName) }, { additionalProperties: false });
export const AlertQuery = Type.Object(
  { ...ListQuery.properties, status: Type.Optional(Type.Union([Type.Literal("open"), Type.Literal("resolved")])) },
  { additionalProperties: false },
);
export const DeliveryList = listOf(DeliveryOut);
export const EventList = listOf(EventOut);
export const AlertList = listOf(AlertOut);
