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

export interface Endpoint {
  id: string;
  tenantId: string;
  url: string;
  name: string | null;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: DisabledReason | null;
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
  eventCreatedAt: number;
  payload: string;
  endpointId: string;
  endpointVersion: number;
  url: string;
  /** Encrypted signing secret; the worker decrypts it where the request is built. */
  secretEnc: string;
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
