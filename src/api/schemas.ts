import { type TSchema, Type } from "typebox";
import { FINGERPRINT_PATTERN } from "../core/alerts.ts";
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

const Secret = Type.String({
  description: "Signing secret. signing.scheme standard: whsec_ + base64 of 24 to 64 random bytes. hmac-sha256 and none: also any 16 to 256 printable ASCII characters.",
  minLength: 16,
  maxLength: 256,
});
const Severity = Type.Union(["info", "low", "medium", "high", "critical"].map((s) => Type.Literal(s)), {
  description: "info < low < medium < high < critical",
});
const Method = Type.Union([Type.Literal("POST"), Type.Literal("PUT")]);
const HeaderName = Type.String({ minLength: 1, maxLength: 256 });
const Pem = Type.String({ maxLength: 65536, description: "PEM text" });

// Settings documents. On create they are merged onto the defaults; on PATCH they are merge
// patches of the current value (null removes a member). The service checks what each type needs
// and answers 400 naming the field.
const HeadersIn = Type.Record(Type.String(), Nullable(Type.String({ maxLength: 4096 })), {
  description: "Extra request headers, name -> value (null removes one in a PATCH). Not allowed: host, content-length, transfer-encoding, connection, webhook-*, the signature headers, authorization when auth is set.",
  maxProperties: 50,
});
const AuthIn = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal("none"), Type.Literal("basic"), Type.Literal("bearer")])),
    username: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    password: Type.Optional(Nullable(Type.String({ maxLength: 1024, description: "Write-only; encrypted at rest" }))),
    token: Type.Optional(Nullable(Type.String({ maxLength: 4096, description: "Write-only; encrypted at rest" }))),
  },
  { additionalProperties: false, description: '{"type": "none"}, {"type": "basic", "username", "password"} or {"type": "bearer", "token"}' },
);
const TlsIn = Type.Object(
  {
    clientCert: Type.Optional(Nullable(Pem)),
    clientKey: Type.Optional(Nullable(Type.String({ maxLength: 65536, description: "PEM private key matching clientCert; write-only, encrypted at rest" }))),
    ca: Type.Optional(Nullable(Type.String({ maxLength: 65536, description: "Extra CA certificates (PEM) trusted besides the usual roots" }))),
    skipVerify: Type.Optional(Nullable(Type.Boolean({ description: "Do not check the receiver's certificate (warned about)" }))),
  },
  { additionalProperties: false },
);
const TimeoutsIn = Type.Object(
  {
    connectMs: Type.Optional(Nullable(Type.Integer({ description: "Default 20000; at most TOCSIN_CONNECT_TIMEOUT" }))),
    requestMs: Type.Optional(Nullable(Type.Integer({ description: "Default 15000; at most TOCSIN_REQUEST_TIMEOUT" }))),
  },
  { additionalProperties: false },
);
const SigningIn = Type.Object(
  {
    scheme: Type.Optional(Type.Union([Type.Literal("standard"), Type.Literal("hmac-sha256"), Type.Literal("none")])),
    header: Type.Optional(Nullable(HeaderName)),
    encoding: Type.Optional(Nullable(Type.Union([Type.Literal("hex"), Type.Literal("base64")]))),
    prefix: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    timestampHeader: Type.Optional(Nullable(HeaderName)),
  },
  {
    additionalProperties: false,
    description:
      'standard (default): Standard Webhooks. hmac-sha256: HMAC-SHA256 of the body (or "<unix seconds>:<body>" with timestampHeader) keyed with the secret\'s UTF-8 bytes, as prefix + hex/base64 in `header`. none: unsigned.',
  },
);
const ValidationIn = Type.Object(
  {
    mode: Type.Optional(Type.Union([Type.Literal("none"), Type.Literal("token-path"), Type.Literal("challenge")])),
    method: Type.Optional(Nullable(Type.Union([Type.Literal("POST"), Type.Literal("PUT"), Type.Literal("GET")]))),
  },
  { additionalProperties: false, description: "token-path: a request to <url>/<token> must answer 2xx. challenge: a signed POST whose challenge must be echoed." },
);
const FormatIn = Type.Object(
  {
    envelope: Type.Optional(
      Nullable(Type.Union(["raw", "standard", "array", "ndjson"].map((e) => Type.Literal(e)), {
        description: 'raw (default): the payload as is; standard: {"type", "timestamp", "data"}; array: [payload] (Wallarm); ndjson: one JSON document a line, application/x-ndjson',
      })),
    ),
    transform: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 10_000,
          description:
            'JSONata expression over {"id","type","severity","state","fingerprint","tenant","createdAt","startedAt","updateCount","payload"}; its result is the body before the envelope (custom field names). Checked on save.',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);
const LifecycleIn = Type.Object(
  {
    ongoingIntervalSec: Type.Optional(
      Nullable(Type.Integer({ minimum: 0, maximum: 604_800, description: "At most one ongoing update per alert per interval (default 300); 0: every update" })),
    ),
    sendResolved: Type.Optional(Nullable(Type.Boolean({ description: "Whether end (resolved) updates are sent (default true)" }))),
  },
  { additionalProperties: false, description: "How updates of alerts (events with a fingerprint) are sent" },
);
const BatchIn = Type.Object(
  {
    maxEvents: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1000, description: "Send when this many events wait (default 100)" }))),
    maxWaitMs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 300_000, description: "...or when the oldest has waited this long (default 1000)" }))),
  },
  { additionalProperties: false, description: "Several events in one request; needs format.envelope array or ndjson. null: one event a request." },
);
const RateLimitIn = Type.Object(
  {
    perSecond: Type.Optional(
      Type.Number({ minimum: 0.001, maximum: 100_000, description: "Requests a second, across every worker (a batch is one request); fractions allowed. Required unless already set." }),
    ),
    burst: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 100_000, description: "Requests that may go at once after a quiet spell (default: perSecond rounded up)" }))),
  },
  { additionalProperties: false, description: "Deliveries beyond the rate wait; they never fail for it. null: no limit." },
);
const settingsIn = {
  method: Type.Optional(Nullable(Method)),
  headers: Type.Optional(Nullable(HeadersIn)),
  auth: Type.Optional(Nullable(AuthIn)),
  tls: Type.Optional(Nullable(TlsIn)),
  timeouts: Type.Optional(Nullable(TimeoutsIn)),
  minSeverity: Type.Optional(Nullable(Severity)),
  signing: Type.Optional(Nullable(SigningIn)),
  validation: Type.Optional(Nullable(ValidationIn)),
  format: Type.Optional(Nullable(FormatIn)),
  lifecycle: Type.Optional(Nullable(LifecycleIn)),
  batch: Type.Optional(Nullable(BatchIn)),
  rateLimit: Type.Optional(Nullable(RateLimitIn)),
};
export const EndpointCreate = Type.Object(
  {
    url: Type.String({ maxLength: 2048, description: "http or https URL of the receiver" }),
    name: Type.Optional(Nullable(Name)),
    description: Type.Optional(Nullable(Text)),
    eventTypes: EventTypePatterns,
    enabled: Type.Optional(Type.Boolean({ default: true })),
    secret: Type.Optional(Secret),
    ...settingsIn,
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
    ...settingsIn,
  },
  { additionalProperties: false },
);
const SigningOut = Type.Union([
  Type.Object({ scheme: Type.Literal("standard") }),
  Type.Object({
    scheme: Type.Literal("hmac-sha256"),
    header: Type.String(),
    encoding: Type.Union([Type.Literal("hex"), Type.Literal("base64")]),
    prefix: Type.String(),
    timestampHeader: Nullable(Type.String()),
  }),
  Type.Object({ scheme: Type.Literal("none") }),
]);
export const ReplayIn = Type.Object(
  {
    since: Timestamp,
    until: Type.Optional(Type.String({ format: "date-time", description: "Exclusive end of the range (default: now)" })),
    status: Type.Optional(Type.Union([Type.Literal("failed"), Type.Literal("all")], { description: "failed (default): the endpoint's failed deliveries; all: every matching event" })),
  },
  { additionalProperties: false },
);

export const ReplayOut = Type.Object({
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
});

export const EndpointHealthOut = Type.Object(
  {
    successRate: Nullable(Type.Number({ description: "Share of successful attempts within the health window (TOCSIN_CIRCUIT_WINDOW); null without attempts" })),
    windowAttempts: Type.Integer({ description: "Attempts within the window (at most TOCSIN_CIRCUIT_SAMPLE are kept)" }),
    windowFailures: Type.Integer(),
    consecutiveFailures: Type.Integer({ description: "Failed attempts since the last success" }),
    lastSuccessAt: Nullable(Timestamp),
    lastFailureAt: Nullable(Timestamp),
    lastFailureReason: Nullable(Type.String({ description: "e.g. HTTP 503, or connect: ECONNREFUSED" })),
    failingSince: Nullable(Timestamp),
    circuit: Type.Union([Type.Literal("closed"), Type.Literal("open"), Type.Literal("half_open")], {
      description: "closed: sending; open: nothing is sent until circuitUntil, then one probe; half_open: the probe is in flight",
    }),
    circuitUntil: Nullable(Timestamp),
    disableAt: Nullable(Timestamp),
  },
  { description: "Delivery health; status is failing while the circuit is not closed. disableAt: when the endpoint is disabled if it keeps failing (TOCSIN_DISABLE_AFTER after failingSince)" },
);

export const EndpointOut = Type.Object(
  {
    id: Type.String(),
    tenantId: Type.String(),
    url: Type.String(),
    name: Nullable(Type.String()),
    description: Nullable(Type.String()),
    method: Method,
    headers: Type.Record(Type.String(), Type.String()),
    auth: Type.Object({
      type: Type.Union([Type.Literal("none"), Type.Literal("basic"), Type.Literal("bearer")]),
      username: Type.Optional(Type.String()),
      passwordSet: Type.Optional(Type.Boolean()),
      tokenSet: Type.Optional(Type.Boolean()),
    }),
    tls: Type.Object({ clientCert: Nullable(Type.String()), clientKeySet: Type.Boolean(), ca: Nullable(Type.String()), skipVerify: Type.Boolean() }),
    timeouts: Type.Object({ connectMs: Type.Integer(), requestMs: Type.Integer() }),
    eventTypes: Type.Array(Type.String()),
    minSeverity: Nullable(Severity),
    signing: SigningOut,
    validation: Type.Object({
      mode: Type.Union([Type.Literal("none"), Type.Literal("token-path"), Type.Literal("challenge")]),
      method: Type.Union([Type.Literal("POST"), Type.Literal("PUT"), Type.Literal("GET")]),
      status: Type.Union([Type.Literal("none"), Type.Literal("pending"), Type.Literal("passed"), Type.Literal("failed")]),
      error: Nullable(Type.String()),
      validatedAt: Nullable(Timestamp),
    }),
    format: Type.Object({ envelope: Type.Union(["raw", "standard", "array", "ndjson"].map((e) => Type.Literal(e))), transform: Nullable(Type.String()) }),
    lifecycle: Type.Object({ ongoingIntervalSec: Type.Integer(), sendResolved: Type.Boolean() }),
    batch: Nullable(Type.Object({ maxEvents: Type.Integer(), maxWaitMs: Type.Integer() })),
    rateLimit: Nullable(Type.Object({ perSecond: Type.Number(), burst: Type.Integer() })),
    health: EndpointHealthOut,
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
    previousSecretExpiresAt: Nullable(Timestamp),
    warnings: Type.Array(Type.String(), { description: "Settings that are allowed but weaken security (skipVerify, unsigned), expired certificates" }),
    version: Type.Integer(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);

/** The PATCH answer: the endpoint, and what moving it to another origin cleared. */
export const EndpointUpdated = Type.Object({
  ...EndpointOut.properties,
  cleared: Type.Optional(
    Type.Array(Type.Union([Type.Literal("auth"), Type.Literal("tls.clientCert"), Type.Literal("tls.clientKey"), Type.Literal("headers")]), {
      description:
        "Present when the PATCH moved the endpoint to another origin (scheme, host or port) and that cleared stored credentials the request did not set again: auth (now type none), the client certificate and key, custom headers",
    }),
  ),
});

export const SecretRotateIn = Type.Object(
  { secret: Type.Optional(Secret) },
  { additionalProperties: false, description: "Optional: the new secret; generated when omitted" },
);
export const SecretRotateOut = Type.Object({
  secret: Type.String(),
  previousSecretExpiresAt: Nullable(Timestamp),
  overlap: Type.Boolean({ description: "true: deliveries carry both signatures until previousSecretExpiresAt; false: the new secret applies at once" }),
  detail: Type.String(),
});
export const TestCallIn = Type.Object(
  { eventType: Type.Optional(EventTypeName) },
  { additionalProperties: false, description: "eventType: send that type's example payload; omitted: a small built-in payload" },
);
export const TestCallOut = Type.Object({
  request: Type.Object({
    method: Type.String(),
    url: Type.String(),
    headers: Type.Record(Type.String(), Type.String(), { description: "As sent; credentials redacted" }),
    body: Nullable(Type.String()),
  }),
  response: Nullable(Type.Object({ status: Type.Integer(), headers: Type.Record(Type.String(), Type.String()), body: Type.String({ description: "First 16 KiB" }) })),
  error: Nullable(Type.Object({ class: Type.String(), message: Type.String() })),
  durationMs: Type.Integer(),
});
export const PreviewIn = Type.Object(
  {
    eventType: Type.Optional(EventTypeName),
    payload: Type.Optional(Type.Unknown({ description: "The payload to render; default: the event type's example, or a built-in one" })),
  },
  { additionalProperties: false },
);
export const PreviewOut = Type.Object({
  contentType: Type.String(),
  body: Type.String({ description: "Exactly the bytes the endpoint would receive" }),
});
export const ValidateOut = Type.Object({ endpoint: EndpointOut, result: TestCallOut });

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
    severity: Type.Optional(Severity),
    payload: Type.Unknown({ description: "Any JSON value; numbers keep their source text on the wire" }),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    fingerprint: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, pattern: FINGERPRINT_PATTERN, description: "The alert this event updates (a dedupe key: printable ASCII, no spaces, not `.` or `..`)" }),
    ),
    state: Type.Optional(
      Type.Union([Type.Literal("start"), Type.Literal("ongoing"), Type.Literal("end")], {
        description: "The alert's phase (needs fingerprint; default start). A start for an open alert counts as ongoing.",
      }),
    ),
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
    batchId: Nullable(Type.String({ description: "The batch (bat_ id, sent as webhook-id) this delivery went in; null when sent alone" })),
    pinnedVersion: Nullable(Type.Integer({ description: "The endpoint version that shapes the body, fixed at the first attempt" })),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);
export const AttemptOut = Type.Object(
  {
    id: Type.String(),
    deliveryId: Type.String({ description: "The delivery, or the batch id for an attempt that sent a batch" }),
    batchId: Nullable(Type.String()),
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
  },
);
export const EventOut = Type.Object(
  {
    id: Type.String(),
    tenantId: Type.String(),
    type: Type.String(),
    severity: Nullable(Severity),
    payload: Type.Unknown(),
    idempotencyKey: Nullable(Type.String()),
    createdAt: Timestamp,
    fingerprint: Nullable(Type.String({ description: "The alert this event updated; null for other events" })),
    state: Nullable(Type.Union([Type.Literal("start"), Type.Literal("ongoing"), Type.Literal("end")], { description: "As stored: a start for an open alert becomes ongoing" })),
    startedAt: Type.String({ format: "date-time", description: "When the alert started (createdAt for other events)" }),
    updateCount: Type.Integer({ description: "Updates the alert had seen with this one (0 for its first event)" }),
  },
);
export const AlertOut = Type.Object({
  fingerprint: Type.String(),
  status: Type.Union([Type.Literal("open"), Type.Literal("resolved")]),
  startedAt: Timestamp,
  endedAt: Nullable(Timestamp),
  durationMs: Type.Integer({ description: "Until endedAt, or until now while open" }),
  updateCount: Type.Integer(),
  lastEventId: Type.String(),
  lastEventAt: Timestamp,
});
export const EventWithDeliveries = Type.Object({ ...EventOut.properties, deliveries: Type.Array(DeliveryOut) });
export const DeliveryWithAttempts = Type.Object({ ...DeliveryOut.properties, attempts: Type.Array(AttemptOut) });

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
const OutcomeCounts = Type.Object({
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  waiting: Type.Integer({ description: "pending or delivering" }),
  cancelled: Type.Integer(),
});
export const DeliveryStatsOut = Type.Object({
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
      histogram: Type.Array(Type.Object({ upToMs: Nullable(Type.Integer({ description: "Upper bound in ms; null: slower than the last bound" })), count: Type.Integer() })),
    },
    { description: "Durations of the attempts of these deliveries, in ms (nearest-rank percentiles)" },
  ),
  sampled: Type.Boolean({ description: "true: the range held more deliveries than one query reads (100,000), and the figures cover the newest of them" }),
});
export const EventQuery = Type.Object({ ...ListQuery.properties, type: Type.Optional(EventTypeName) }, { additionalProperties: false });
export const AlertQuery = Type.Object(
  { ...ListQuery.properties, status: Type.Optional(Type.Union([Type.Literal("open"), Type.Literal("resolved")])) },
  { additionalProperties: false },
);

const ScopeName = Type.Union([Type.Literal("events:write"), Type.Literal("endpoints:write"), Type.Literal("read")], {
  description: "events:write posts events; endpoints:write manages endpoints and retries deliveries; read reads",
});
const KeyKind = Type.Union([Type.Literal("admin"), Type.Literal("tenant"), Type.Literal("portal")]);
const KeyName = Type.String({ minLength: 1, maxLength: 200, description: "What the key is for, e.g. the client that holds it" });
const ExpiresAt = Type.String({ format: "date-time", description: "ISO 8601; must be in the future. Omitted or null: the key does not expire" });

export const AdminKeyCreate = Type.Object({ name: KeyName, expiresAt: Type.Optional(Nullable(ExpiresAt)) }, { additionalProperties: false });
export const TenantKeyCreate = Type.Object(
  {
    name: KeyName,
    scopes: Type.Array(ScopeName, { minItems: 1, maxItems: 3, uniqueItems: true }),
    expiresAt: Type.Optional(Nullable(ExpiresAt)),
  },
  { additionalProperties: false },
);
export const PortalSessionCreate = Type.Object(
  { ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: "Lifetime; default 3600 (1 h)" })) },
  { additionalProperties: false },
);

/** A key as lists show it: never the key itself, never its hash. */
export const ApiKeyOut = Type.Object(
  {
    id: Type.String(),
    kind: KeyKind,
    tenantId: Nullable(Type.String()),
    name: Nullable(Type.String()),
    scopes: Type.Array(ScopeName),
    prefix: Type.String({ description: "The key's first characters, to recognise it" }),
    expiresAt: Nullable(Timestamp),
    revokedAt: Nullable(Timestamp),
    lastUsedAt: Nullable(Timestamp),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export const ApiKeyCreated = Type.Object(
  { ...ApiKeyOut.properties, key: Type.String({ description: "The key; shown only in this response, store it now" }) },
  { additionalProperties: false },
);
export const PortalSessionOut = Type.Object(
  {
    id: Type.String({ description: "The session's key id; DELETE /v1/keys/{id} ends it early" }),
    url: Type.String({ description: "The customer console, with the token in the fragment" }),
    token: Type.String({ description: "Bearer token for /v1/tenants/{tenant}/…; shown only in this response" }),
    tenantId: Type.String(),
    scopes: Type.Array(ScopeName),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);
/** GET /v1/session: the calling key, as the console needs it to know where it is and what it may do. */
export const SessionOut = Type.Object(
  {
    kind: Type.Union([Type.Literal("admin"), Type.Literal("tenant"), Type.Literal("portal")], {
      description: "admin: every tenant and route; tenant: one tenant, its scopes; portal: a customer-console session",
    }),
    tenantId: Nullable(Type.String({ description: "The one tenant the key sees; null for admin keys" })),
    scopes: Type.Array(ScopeName),
    expiresAt: Nullable(Timestamp),
  },
  { additionalProperties: false },
);
export const KeyQuery = Type.Object(
  { ...ListQuery.properties, kind: Type.Optional(KeyKind), tenantId: Type.Optional(Type.String({ maxLength: 128 })) },
  { additionalProperties: false },
);
export const TenantKeyQuery = Type.Object({ ...ListQuery.properties, kind: Type.Optional(KeyKind) }, { additionalProperties: false });
