/** Domain types shared by every layer. Times are epoch milliseconds inside the engine. */

import type { FilterDoc } from "./filter.ts";
import type { HealthView } from "./health.ts";
import type { DeliveryReason, DigestInfo, DigestSettings, FlappingSettings } from "./alert-controls.ts";
export type { DeliveryReason, DigestInfo, DigestSettings, FlappingSettings } from "./alert-controls.ts";

export interface Tenant {
  id: string;
  name: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export type DisabledReason = "manual" | "gone" | "failing";
export type EndpointStatus = "active" | "disabled" | "pending_validation" | "validation_failed" | "failing";

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export type HttpMethod = "POST" | "PUT";

/** An alert's phase, as Netography names them (Alertmanager's firing is start/ongoing, resolved is end). */
export const ALERT_STATES = ["start", "ongoing", "end"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export type SigningSettings =
  | { scheme: "standard" }
  | { scheme: "hmac-sha256"; header: string; encoding: "hex" | "base64"; prefix: string; timestampHeader: string | null }
  | { scheme: "ed25519" }
  | { scheme: "none" };

/** Auth as stored in the clear: which kind, and the username; passwords and tokens are credentials. */
export type AuthSettings = { type: "none" } | { type: "basic"; username: string } | { type: "bearer" } | OAuth2Settings;

/**
 * OAuth2 client credentials (RFC 6749 §4.4): a token fetched from `tokenUrl` is sent as a bearer
 * token. The client secret is a credential (EndpointCredentials.clientSecret).
 */
export interface OAuth2Settings {
  type: "oauth2";
  tokenUrl: string;
  clientId: string;
  /** Sent space-joined as `scope`; empty: no scope parameter. */
  scopes: string[];
  audience: string | null;
  /** More form parameters for the token request (never the ones Tocsin sets). */
  extraParams: Record<string, string>;
  /** How the client authenticates: HTTP Basic (client_secret_basic, the default) or in the form (client_secret_post). */
  clientAuth: "basic" | "post";
}

export type ValidationMode = "none" | "token-path" | "challenge";
export type ValidationStatus = "none" | "pending" | "passed" | "failed";

/** An endpoint's request settings that are not secret (stored as one JSON document). */
export interface EndpointSettings {
  method: HttpMethod;
  /** Extra request headers, names as given. */
  headers: Record<string, string>;
  auth: AuthSettings;
  /** `clientCert` present means a client key is stored among the credentials. */
  tls: { clientCert: string | null; ca: string | null; skipVerify: boolean };
  timeouts: { connectMs: number; requestMs: number };
  signing: SigningSettings;
  validation: { mode: ValidationMode; method: HttpMethod | "GET" };
  /** How the payload is wrapped: as is, a Standard Webhooks envelope, a JSON array, or NDJSON. */
  format: { envelope: Envelope; transform: string | null };
  /** How alert updates (events with a fingerprint) are sent: the ongoing throttle and whether end is sent. */
  lifecycle: LifecycleSettings;
  /** Several events in one request (array or ndjson envelope), or null: one event a request. */
  batch: BatchSettings | null;
  /** At most this many requests a second (a batch is one), across every worker; null: no limit. */
  rateLimit: RateLimitSettings | null;
  /** The endpoint's own retry policy, or null: the server's (TOCSIN_RETRY_SCHEDULE, TOCSIN_RETRY_BUDGET). */
  retry: RetrySettings | null;
  /** The egress proxy named in TOCSIN_PROXIES its requests go through (set by admin keys only); null: TOCSIN_EGRESS_PROXY, or direct. */
  proxy: string | null;
  /** Which of the events it subscribes to the endpoint receives, judged on attributes and payload (core/filter.ts); null: all. */
  filter: FilterDoc | null;
  /** W3C Trace Context sent to the receiver (observability/tracing.ts). */
  tracing: TracingSettings;
  /** Flap damping of alerts (core/flapping.ts); null: none. */
  flapping: FlappingSettings | null;
  /** Events of one group key within a window go as one delivery at once and one digest at its end (core/digest.ts); null: none. */
  digest: DigestSettings | null;
}

/** Whether attempts carry a `traceparent` header (the attempt span's context) while tracing is on; default false. */
export interface TracingSettings {
  propagate: boolean;
}

/**
 * An endpoint's retry policy; at least one member is set (core/retry-policy.ts endpointRetryPolicy
 * says how they combine with the server's schedule).
 */
export interface RetrySettings {
  /** Delays after the 1st, 2nd, ... failed attempt; null: the server's schedule. */
  scheduleMs: number[] | null;
  /** Attempts in all, the first included: the schedule cut, or extended by its last step. */
  maxAttempts: number | null;
  /** No retry is scheduled past this age of the event; alone, it replaces the count. */
  maxAgeMs: number | null;
}

export interface RateLimitSettings {
  /** Requests a second, sustained (fractions allowed: 0.5 is one request every 2 s). */
  perSecond: number;
  /** Requests that may go at once after a quiet spell (the bucket's size). */
  burst: number;
}

export interface LifecycleSettings {
  /** At most one ongoing update per interval per alert (Netography's updateinterval); 0: every update. */
  ongoingIntervalSec: number;
  /** Whether end is sent (Alertmanager's send_resolved). */
  sendResolved: boolean;
}

export interface BatchSettings {
  /** A batch is sent when it holds this many events (Alertmanager's max_alerts)... */
  maxEvents: number;
  /** ...or when its oldest event has waited this long, whichever comes first. */
  maxWaitMs: number;
}

export type Envelope = "raw" | "standard" | "array" | "ndjson";

/** An endpoint's secrets besides its signing secret, encrypted together at rest. */
export interface EndpointCredentials {
  password?: string;
  token?: string;
  clientKey?: string;
  /** auth.type oauth2's client secret. */
  clientSecret?: string;
}

export interface Endpoint {
  id: string;
  tenantId: string;
  url: string;
  name: string | null;
  description: string | null;
  eventTypes: string[];
  minSeverity: Severity | null;
  settings: EndpointSettings;
  enabled: boolean;
  disabledReason: DisabledReason | null;
  validationStatus: ValidationStatus;
  validationError: string | null;
  validatedAt: number | null;
  /** While set and in the future, deliveries are also signed with the previous secret. */
  previousSecretExpiresAt: number | null;
  /** Incremented on every change; deliveries and caches refer to it. */
  version: number;
  /**
   * The endpoint of the same tenant that takes this endpoint's deliveries while its circuit is open
   * or it was disabled for failing (docs/delivery.md, "Fallback endpoint"); null: none.
   */
  fallbackEndpointId: string | null;
  /** Filled in by the endpoints service where the endpoint is shown; workers do not read it. */
  health?: HealthView;
  createdAt: number;
  updatedAt: number;
}

export interface EventType {
  name: string;
  description: string | null;
  schema: unknown;
  example: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface EventRecord {
  id: string;
  tenantId: string;
  type: string;
  severity: Severity | null;
  /** The payload's JSON text, exactly as it goes on the wire. */
  payload: string;
  idempotencyKey: string | null;
  createdAt: number;
  /** Alert lifecycle: null for events that are not alert updates. */
  fingerprint: string | null;
  state: AlertState | null;
  /** When the alert this event updates started (createdAt for other events), and how many updates it had seen. */
  startedAt: number;
  updateCount: number;
}

export type DeliveryStatus = "pending" | "delivering" | "succeeded" | "failed" | "cancelled" | "suppressed";

export interface Delivery {
  id: string;
  tenantId: string;
  eventId: string;
  endpointId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  /** The batch this delivery was sent in; null when sent alone. */
  batchId: string | null;
  /** The endpoint version whose settings shape the body (fixed at the first attempt). */
  pinnedVersion: number | null;
  /** The fallback endpoint the latest attempt went (or is going) to; null: its own endpoint, or no attempt yet. */
  sentToEndpointId: string | null;
  /** Why it was not sent as usual (suppressed, folded); null for an ordinary delivery. */
  reason: DeliveryReason | null;
  createdAt: number;
  updatedAt: number;
}

/** An alert tracked per (tenant, fingerprint). */
export interface Alert {
  tenantId: string;
  fingerprint: string;
  status: "open" | "resolved";
  startedAt: number;
  endedAt: number | null;
  updateCount: number;
  lastEventId: string;
  lastEventAt: number;
  /** Endpoints whose sends of this alert are held (a silence, flap damping), with why. */
  holds: { endpointId: string; reason: DeliveryReason }[];
}

export type ReplayScope = "failed" | "all";

/**
 * A replay job: re-sends an endpoint's failed deliveries, or all its events, of a time range; or,
 * with no endpoint, the failed deliveries of every endpoint of the tenant ("retry all failed").
 */
export interface Replay {
  id: string;
  tenantId: string;
  /** Null: every endpoint of the tenant (scope failed only). */
  endpointId: string | null;
  /** Only deliveries of this event type (`prefix.*` for a family); null: every type. */
  eventType: string | null;
  since: number;
  /** Exclusive. */
  until: number;
  /** The start as the request gave it when it was a duration before the request ("1h"), else null. */
  sinceAgo: string | null;
  /** The end as the request gave it when it was a duration before the request, else null. */
  untilAgo: string | null;
  scope: ReplayScope;
  state: "running" | "completed" | "cancelled";
  /** Items to walk (failed deliveries, or events), counted at the start and corrected as it goes. */
  total: number;
  processed: number;
  /** Deliveries queued again or created. */
  queued: number;
  /** Items left alone: already pending, or not matching the endpoint's event types and severity. */
  skipped: number;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface Batch {
  id: string;
  tenantId: string;
  endpointId: string;
  size: number;
  createdAt: number;
  /** Set for a digest (dig_ id): its window and how many events it folded. */
  digest: DigestInfo | null;
}

export type ErrorClass =
  "dns" | "connect" | "tls" | "timeout_connect" | "timeout_request" | "http_status" | "blocked_destination" | "transform" | "response_too_large" | "oauth2";

export interface Attempt {
  id: string;
  /** The delivery, or for a batch's attempt the batch id (one attempt row covers every member). */
  deliveryId: string;
  batchId: string | null;
  tenantId: string;
  /** The delivery's endpoint (for an attempt sent to its fallback too: see sentToEndpointId). */
  endpointId: string;
  /** The fallback endpoint this attempt was sent to, shaped and signed by its settings; null: the delivery's own endpoint. */
  sentToEndpointId: string | null;
  eventId: string;
  attemptNo: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
  /** The request as sent (credentials redacted), or null when nothing was sent (a failed transform, or an attempt recorded before requests were kept). */
  request: AttemptRequest | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  willRetry: boolean;
  nextAttemptAt: number | null;
}

/** What an attempt sent: the request line and headers, and the start of the body. */
export interface AttemptRequest {
  method: string;
  url: string;
  /** In wire order; `authorization` has its credentials replaced by `[redacted]`. */
  headers: Record<string, string>;
  /** The body's first bytes, up to the attempt log's limit (null for a GET). */
  body: string | null;
  /** The whole body's size in bytes. */
  bodyBytes: number;
}

/** A delivery handed to a worker with everything needed to send it. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  eventType: string;
  eventSeverity: Severity | null;
  eventCreatedAt: number;
  fingerprint: string | null;
  state: AlertState | null;
  startedAt: number;
  updateCount: number;
  payload: string;
  endpointId: string;
  /** The worker builds the request from this version of the endpoint's settings (cached per version). */
  endpointVersion: number;
  /** The version that shapes the body: the endpoint's version at the delivery's first claim. */
  pinnedVersion: number;
  /** Set for the members of a batch, claimed together in membership order. */
  batchId: string | null;
  url: string;
  /** Attempts made before this one. */
  attempts: number;
  /** The W3C trace context of the event's ingest span (traceparent, a newline, tracestate); null when none was stored. */
  traceContext?: string | null;
  /**
   * Set when the claim sends this delivery to its endpoint's fallback (the endpoint's circuit is
   * open or it was disabled for failing): that endpoint, at this version or newer, builds the request.
   */
  sendTo?: { endpointId: string; version: number } | null;
}

/** What the sender observed for one attempt. */
export interface SendResult {
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  headers: Record<string, string> | null;
  body: string | null;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
}

/** The decision applied to a delivery after an attempt. */
export interface DeliveryOutcome {
  deliveryId: string;
  /** For a batch: every member, which take the new state together; the attempt is recorded once. */
  memberIds?: string[];
  endpointId: string;
  /** The fallback endpoint the attempt went to: its health, not endpointId's, takes the result. */
  sentToEndpointId?: string | null;
  attempt: Attempt;
  status: "succeeded" | "pending" | "failed";
  nextAttemptAt: number | null;
  disableEndpoint: "gone" | null;
}
