/** Domain types shared by every layer. Times are epoch milliseconds inside the engine. */

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

export type SigningSettings =
  | { scheme: "standard" }
  | { scheme: "hmac-sha256"; header: string; encoding: "hex" | "base64"; prefix: string; timestampHeader: string | null }
  | { scheme: "none" };

/** Auth as stored in the clear: which kind, and the username; passwords and tokens are credentials. */
export type AuthSettings = { type: "none" } | { type: "basic"; username: string } | { type: "bearer" };

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
}

export type Envelope = "raw" | "standard" | "array" | "ndjson";

/** An endpoint's secrets besides its signing secret, encrypted together at rest. */
export interface EndpointCredentials {
  password?: string;
  token?: string;
  clientKey?: string;
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
}

export type DeliveryStatus = "pending" | "delivering" | "succeeded" | "failed" | "cancelled";

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
  createdAt: number;
  updatedAt: number;
}

export type ErrorClass =
  | "dns"
  | "connect"
  | "tls"
  | "timeout_connect"
  | "timeout_request"
  | "http_status"
  | "blocked_destination"
  | "transform"
  | "response_too_large";

export interface Attempt {
  id: string;
  deliveryId: string;
  tenantId: string;
  endpointId: string;
  eventId: string;
  attemptNo: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  willRetry: boolean;
  nextAttemptAt: number | null;
}

/** A delivery handed to a worker with everything needed to send it. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  eventType: string;
  eventSeverity: Severity | null;
  eventCreatedAt: number;
  payload: string;
  endpointId: string;
  /** The worker builds the request from this version of the endpoint's settings (cached per version). */
  endpointVersion: number;
  url: string;
  /** Attempts made before this one. */
  attempts: number;
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
  endpointId: string;
  attempt: Attempt;
  status: "succeeded" | "pending" | "failed";
  nextAttemptAt: number | null;
  disableEndpoint: "gone" | null;
}
