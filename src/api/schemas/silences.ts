import { Type } from "typebox";
import { COMMENT_MAX } from "../../core/silences.ts";
import { component } from "./component.ts";
import { Nullable, Timestamp, listOf } from "./common.ts";
import { Filter } from "./filter.ts";

// Silences and maintenance windows (recurring silences): see docs/alerts.md, "Silences".

const Weekday = Type.Union([
  Type.Literal("mon"),
  Type.Literal("tue"),
  Type.Literal("wed"),
  Type.Literal("thu"),
  Type.Literal("fri"),
  Type.Literal("sat"),
  Type.Literal("sun"),
]);

export const Schedule = component(
  "Schedule",
  Type.Object(
    {
      days: Type.Array(Weekday, { minItems: 1, maxItems: 7, description: "The local days on which a window starts" }),
      start: Type.String({ maxLength: 5, description: "Local wall time HH:MM when each window starts" }),
      end: Type.String({
        maxLength: 5,
        description: "Local wall time HH:MM when it ends; at or before start means the next day (22:00–02:00); 24:00 is the next midnight",
      }),
      timeZone: Type.String({ maxLength: 64, description: "An IANA time-zone name, e.g. Europe/Berlin; DST as docs/alerts.md says" }),
    },
    {
      additionalProperties: false,
      description:
        "Weekly windows in a time zone, e.g. Sundays 02:00–04:00 Europe/Berlin. A wall time in the spring-forward gap means the first instant after it; a repeated autumn hour means its first occurrence for a start and its second for an end.",
    },
  ),
);

const Window = Type.Object({ start: Timestamp, end: Timestamp });

export const SilenceIn = component(
  "SilenceIn",
  Type.Object(
    {
      matchers: Type.Optional(Nullable(Filter)),
      endpointIds: Type.Optional(
        Nullable(Type.Array(Type.String({ maxLength: 100 }), { description: "Only these endpoints of the tenant; absent or null: every endpoint" })),
      ),
      startsAt: Type.Optional(Type.String({ maxLength: 64, description: "RFC 3339 date-time (default: now)" })),
      endsAt: Type.Optional(Type.String({ maxLength: 64, description: "RFC 3339 date-time; a one-off silence needs endsAt or duration" })),
      duration: Type.Optional(Type.String({ maxLength: 16, description: "Instead of endsAt: how long from startsAt, e.g. 30m, 2h, 3d" })),
      schedule: Type.Optional(Nullable(Schedule)),
      comment: Type.String({ maxLength: COMMENT_MAX, description: `Why (required, 1 to ${COMMENT_MAX} characters)` }),
    },
    {
      additionalProperties: false,
      description:
        "A silence: nothing is sent for the events its matchers match, to the whole tenant or the listed endpoints, from startsAt to endsAt. With schedule it is a maintenance window: it holds only inside the weekly windows (and, when given, between startsAt and endsAt).",
    },
  ),
);

export const SilenceOut = component(
  "SilenceOut",
  Type.Object({
    id: Type.String({ description: "sil_ id" }),
    tenantId: Type.String(),
    matchers: Filter,
    endpointIds: Nullable(Type.Array(Type.String(), { description: "null: every endpoint of the tenant" })),
    startsAt: Timestamp,
    endsAt: Nullable(Timestamp),
    schedule: Nullable(Schedule),
    comment: Type.String(),
    createdBy: Type.Object({
      kind: Type.Union([Type.Literal("admin"), Type.Literal("tenant"), Type.Literal("portal")]),
      keyId: Type.String({ description: "The key's id; bootstrap for the bootstrap admin key" }),
      name: Nullable(Type.String()),
    }),
    createdAt: Timestamp,
    expiredEarly: Type.Boolean({ description: "Expired through POST …/expire before its end" }),
    state: Type.Union([Type.Literal("pending"), Type.Literal("active"), Type.Literal("expired")], {
      description: "pending: not started yet, or (recurring) between windows; active: holding now; expired: ended (kept, listed)",
    }),
    currentWindow: Nullable(Window),
    nextWindow: Nullable(Window),
    suppressed: Type.Integer({ description: "Deliveries it suppressed" }),
  }),
);

export const SilenceList = listOf(SilenceOut);

export const SilenceQuery = Type.Object(
  {
    state: Type.Optional(Type.Union([Type.Literal("pending"), Type.Literal("active"), Type.Literal("expired")])),
    endpointId: Type.Optional(Type.String({ maxLength: 100, description: "Silences that apply to this endpoint: those naming it and the tenant-wide ones" })),
    recurring: Type.Optional(Type.Boolean({ description: "true: maintenance windows only; false: one-off silences only" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
