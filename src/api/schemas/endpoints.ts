import { Type } from "typebox";
import { component } from "./component.ts";
import { AuthIn, AuthOut } from "./auth.ts";
import { EventTypePatterns, Name, Nullable, Text, Timestamp, listOf } from "./common.ts";
import { Filter } from "./filter.ts";
import { FlappingIn, FlappingOut } from "./flapping.ts";
import { DigestIn, DigestOut } from "./digest.ts";
import { RetryIn, RetryOut } from "./retry.ts";

// Endpoints: their settings documents in and out, health, secrets, test calls, previews and replays.

export const Secret = Type.String({
  description:
    "Signing secret. signing.scheme standard: whsec_ + base64 of 24 to 64 random bytes. hmac-sha256 and none: also any 16 to 256 printable ASCII characters. Not accepted under ed25519: its key pair is made by Tocsin (rotate to replace it).",
  minLength: 16,
  maxLength: 256,
});
export const Severity = component(
  "Severity",
  Type.Union([Type.Literal("info"), Type.Literal("low"), Type.Literal("medium"), Type.Literal("high"), Type.Literal("critical")], {
    description: "info < low < medium < high < critical",
  }),
);
export const Method = component("Method", Type.Union([Type.Literal("POST"), Type.Literal("PUT")]));
export const HeaderName = Type.String({ minLength: 1, maxLength: 256 });
export const Pem = Type.String({ maxLength: 65536, description: "PEM text" });

// Settings documents. On create they are merged onto the defaults; on PATCH they are merge
// patches of the current value (null removes a member). The service checks what each type needs
// and answers 400 naming the field.
export const HeadersIn = Type.Record(Type.String(), Nullable(Type.String({ maxLength: 4096 })), {
  description:
    "Extra request headers, name -> value (null removes one in a PATCH). Not allowed: host, content-length, transfer-encoding, connection, webhook-*, the signature headers, authorization when auth is set.",
  maxProperties: 50,
});
export const TlsIn = component(
  "TlsIn",
  Type.Object(
    {
      clientCert: Type.Optional(Nullable(Pem)),
      clientKey: Type.Optional(Nullable(Type.String({ maxLength: 65536, description: "PEM private key matching clientCert; write-only, encrypted at rest" }))),
      ca: Type.Optional(Nullable(Type.String({ maxLength: 65536, description: "Extra CA certificates (PEM) trusted besides the usual roots" }))),
      skipVerify: Type.Optional(Nullable(Type.Boolean({ description: "Do not check the receiver's certificate (warned about)" }))),
    },
    { additionalProperties: false },
  ),
);
export const TimeoutsIn = component(
  "TimeoutsIn",
  Type.Object(
    {
      connectMs: Type.Optional(Nullable(Type.Integer({ description: "Default 20000; at most TOCSIN_CONNECT_TIMEOUT" }))),
      requestMs: Type.Optional(Nullable(Type.Integer({ description: "Default 15000; at most TOCSIN_REQUEST_TIMEOUT" }))),
    },
    { additionalProperties: false },
  ),
);
export const SigningIn = component(
  "SigningIn",
  Type.Object(
    {
      scheme: Type.Optional(Type.Union([Type.Literal("standard"), Type.Literal("hmac-sha256"), Type.Literal("ed25519"), Type.Literal("none")])),
      header: Type.Optional(Nullable(HeaderName)),
      encoding: Type.Optional(Nullable(Type.Union([Type.Literal("hex"), Type.Literal("base64")]))),
      prefix: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
      timestampHeader: Type.Optional(Nullable(HeaderName)),
    },
    {
      additionalProperties: false,
      description:
        'standard (default): Standard Webhooks. hmac-sha256: HMAC-SHA256 of the body (or "<unix seconds>:<body>" with timestampHeader) keyed with the secret\'s UTF-8 bytes, as prefix + hex/base64 in `header`. ed25519: Standard Webhooks asymmetric (v1a) with a key pair Tocsin makes for the endpoint; receivers verify with the whpk_ public key (GET …/public-key), the private key never leaves the server. none: unsigned.',
    },
  ),
);
export const ValidationIn = component(
  "ValidationIn",
  Type.Object(
    {
      mode: Type.Optional(Type.Union([Type.Literal("none"), Type.Literal("token-path"), Type.Literal("challenge")])),
      method: Type.Optional(Nullable(Type.Union([Type.Literal("POST"), Type.Literal("PUT"), Type.Literal("GET")]))),
    },
    {
      additionalProperties: false,
      description: "token-path: a request to <url>/<token> must answer 2xx. challenge: a signed POST whose challenge must be echoed.",
    },
  ),
);
export const FormatIn = component(
  "FormatIn",
  Type.Object(
    {
      envelope: Type.Optional(
        Nullable(
          Type.Union([Type.Literal("raw"), Type.Literal("standard"), Type.Literal("array"), Type.Literal("ndjson")], {
            description:
              'raw (default): the payload as is; standard: {"type", "timestamp", "data"}; array: [payload] (Wallarm); ndjson: one JSON document a line, application/x-ndjson',
          }),
        ),
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
  ),
);
export const LifecycleIn = component(
  "LifecycleIn",
  Type.Object(
    {
      ongoingIntervalSec: Type.Optional(
        Nullable(
          Type.Integer({ minimum: 0, maximum: 604_800, description: "At most one ongoing update per alert per interval (default 300); 0: every update" }),
        ),
      ),
      sendResolved: Type.Optional(Nullable(Type.Boolean({ description: "Whether end (resolved) updates are sent (default true)" }))),
    },
    { additionalProperties: false, description: "How updates of alerts (events with a fingerprint) are sent" },
  ),
);
export const BatchIn = component(
  "BatchIn",
  Type.Object(
    {
      maxEvents: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1000, description: "Send when this many events wait (default 100)" }))),
      maxWaitMs: Type.Optional(
        Nullable(Type.Integer({ minimum: 0, maximum: 300_000, description: "...or when the oldest has waited this long (default 1000)" })),
      ),
    },
    { additionalProperties: false, description: "Several events in one request; needs format.envelope array or ndjson. null: one event a request." },
  ),
);
export const RateLimitIn = component(
  "RateLimitIn",
  Type.Object(
    {
      perSecond: Type.Optional(
        Type.Number({
          minimum: 0.001,
          maximum: 100_000,
          description: "Requests a second, across every worker (a batch is one request); fractions allowed. Required unless already set.",
        }),
      ),
      burst: Type.Optional(
        Nullable(
          Type.Integer({ minimum: 1, maximum: 100_000, description: "Requests that may go at once after a quiet spell (default: perSecond rounded up)" }),
        ),
      ),
    },
    { additionalProperties: false, description: "Deliveries beyond the rate wait; they never fail for it. null: no limit." },
  ),
);
// The egress proxy an endpoint's requests go through, by the name the operator gave it (TOCSIN_PROXIES).
export const ProxyName = component(
  "ProxyName",
  Type.String({
    maxLength: 63,
    pattern: "^[a-z0-9][a-z0-9._-]*$",
    description:
      "The egress proxy (named in TOCSIN_PROXIES) this endpoint's deliveries, test calls, validation and OAuth2 token requests go through, tunnelled with CONNECT; null: TOCSIN_EGRESS_PROXY, or direct. Only admin keys may set it (a 403 naming /proxy otherwise); anyone who can read the endpoint sees the name. GET /v1/proxies lists the names.",
  }),
);
// W3C Trace Context to the receiver, the header OpenTelemetry's own HTTP client instrumentation sends.
export const TracingIn = component(
  "TracingIn",
  Type.Object(
    {
      propagate: Type.Optional(
        Type.Boolean({
          default: false,
          description:
            "Send the attempt span's W3C traceparent (and tracestate) header, so the receiver's spans join the trace that began at the producer's POST …/events. Only while the server traces (OTEL_TRACES_EXPORTER); default false.",
        }),
      ),
    },
    { additionalProperties: false, description: "OpenTelemetry trace propagation to the receiver; null: the default (off)." },
  ),
);
export const TracingOut = component("TracingOut", Type.Object({ propagate: Type.Boolean() }));
const FallbackEndpointId = Type.String({
  maxLength: 100,
  description:
    "Another endpoint of this tenant that takes this endpoint's deliveries while its circuit is open or it was disabled for failing (not by a person), shaped and signed by its own settings, with a webhook-fallback-for header; null: none. Deleting that endpoint sets this to null",
});
export const settingsIn = {
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
  retry: Type.Optional(Nullable(RetryIn)),
  proxy: Type.Optional(Nullable(ProxyName)),
  filter: Type.Optional(Nullable(Filter)),
  tracing: Type.Optional(Nullable(TracingIn)),
  fallbackEndpointId: Type.Optional(Nullable(FallbackEndpointId)),
  flapping: Type.Optional(Nullable(FlappingIn)),
  digest: Type.Optional(Nullable(DigestIn)),
};
export const EndpointCreate = component(
  "EndpointCreate",
  Type.Object(
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
  ),
);
export const EndpointPatch = component(
  "EndpointPatch",
  Type.Object(
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
  ),
);
export const SigningOut = component(
  "SigningOut",
  Type.Union([
    Type.Object({ scheme: Type.Literal("standard") }),
    Type.Object({
      scheme: Type.Literal("hmac-sha256"),
      header: Type.String(),
      encoding: Type.Union([Type.Literal("hex"), Type.Literal("base64")]),
      prefix: Type.String(),
      timestampHeader: Nullable(Type.String()),
    }),
    Type.Object({ scheme: Type.Literal("ed25519") }),
    Type.Object({ scheme: Type.Literal("none") }),
  ]),
);
export const EndpointHealthOut = component(
  "EndpointHealthOut",
  Type.Object(
    {
      successRate: Nullable(
        Type.Number({ description: "Share of successful attempts within the health window (TOCSIN_CIRCUIT_WINDOW); null without attempts" }),
      ),
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
      status: Type.Union([Type.Literal("healthy"), Type.Literal("degraded"), Type.Literal("failing"), Type.Literal("unknown")], {
        description:
          "failing: the circuit is not closed, or the last 3 or more attempts failed; degraded: the last attempt failed, or under 90 % of the attempts within the window succeeded; unknown: no attempt yet; healthy: otherwise",
      }),
    },
    {
      description: "Delivery health. disableAt: when the endpoint is disabled if it keeps failing (TOCSIN_DISABLE_AFTER after failingSince)",
    },
  ),
);

export const ClientCertInfo = component(
  "ClientCertInfo",
  Type.Object(
    {
      subject: Type.String({ description: "The subject's common name (CN), or the whole subject when it has none" }),
      issuer: Type.String({ description: "The issuer's common name (CN), or the whole issuer when it has none" }),
      notBefore: Timestamp,
      notAfter: Timestamp,
    },
    { description: "What the client certificate (its first one) says; the endpoint's warnings tell when it expires within 30 days or has expired" },
  ),
);

export const EndpointOut = component(
  "EndpointOut",
  Type.Object({
    id: Type.String(),
    tenantId: Type.String(),
    url: Type.String(),
    name: Nullable(Type.String()),
    description: Nullable(Type.String()),
    method: Method,
    headers: Type.Record(Type.String(), Type.String()),
    auth: AuthOut,
    tls: Type.Object({
      clientCert: Nullable(Type.String()),
      clientCertInfo: Nullable(ClientCertInfo),
      clientKeySet: Type.Boolean(),
      ca: Nullable(Type.String()),
      skipVerify: Type.Boolean(),
    }),
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
    format: Type.Object({
      envelope: Type.Union([Type.Literal("raw"), Type.Literal("standard"), Type.Literal("array"), Type.Literal("ndjson")]),
      transform: Nullable(Type.String()),
    }),
    lifecycle: Type.Object({ ongoingIntervalSec: Type.Integer(), sendResolved: Type.Boolean() }),
    batch: Nullable(Type.Object({ maxEvents: Type.Integer(), maxWaitMs: Type.Integer() })),
    rateLimit: Nullable(Type.Object({ perSecond: Type.Number(), burst: Type.Integer() })),
    retry: Nullable(RetryOut),
    proxy: Nullable(ProxyName),
    filter: Nullable(Filter),
    tracing: TracingOut,
    fallbackEndpointId: Nullable(Type.String()),
    flapping: Nullable(FlappingOut),
    digest: Nullable(DigestOut),
    health: EndpointHealthOut,
    enabled: Type.Boolean(),
    disabledReason: Nullable(Type.Union([Type.Literal("manual"), Type.Literal("gone"), Type.Literal("failing")])),
    status: Type.Union(
      [Type.Literal("active"), Type.Literal("disabled"), Type.Literal("pending_validation"), Type.Literal("validation_failed"), Type.Literal("failing")],
      {
        description:
          "In this order: disabled, pending_validation, validation_failed, failing (health.status is failing: the circuit is not closed, or the last 3 or more attempts failed), else active (health.status tells a degraded one apart)",
      },
    ),
    secretSet: Type.Boolean(),
    previousSecretExpiresAt: Nullable(Timestamp),
    warnings: Type.Array(Type.String(), {
      description:
        "Settings that are allowed but weaken security (skipVerify, unsigned), a client certificate that expired or expires within 30 days; on the create and PATCH answers also a host name that resolves to a refused address",
    }),
    version: Type.Integer(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  }),
);

/** The PATCH answer: the endpoint, and what moving it to another origin cleared. */
export const EndpointUpdated = component(
  "EndpointUpdated",
  Type.Intersect([
    EndpointOut,
    Type.Object({
      cleared: Type.Optional(
        Type.Array(Type.Union([Type.Literal("auth"), Type.Literal("tls.clientCert"), Type.Literal("tls.clientKey"), Type.Literal("headers")]), {
          description:
            "Present when the PATCH moved the endpoint to another origin (scheme, host or port) and that cleared stored credentials the request did not set again: auth (now type none), the client certificate and key, custom headers",
        }),
      ),
    }),
  ]),
);

export const EndpointList = listOf(EndpointOut);
