import type { ApiKey } from "../core/api-keys.ts";
import { parseSettings } from "../core/endpoint-settings.ts";
import type { Alert, Attempt, AttemptRequest, Batch, ClaimedDelivery, DigestInfo, Delivery, Endpoint, EventRecord, EventType, Tenant } from "../core/types.ts";
import type { Row } from "./sql.ts";

// Row -> domain mapping shared by both backends (PostgreSQL returns bigint columns as strings).

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const parseOrNull = (v: unknown): unknown => (v === null || v === undefined ? null : JSON.parse(String(v)));

export function rowToTenant(r: Row): Tenant {
  return {
    id: String(r.id),
    name: strOrNull(r.name),
    metadata: JSON.parse(String(r.metadata)) as Record<string, unknown>,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function rowToEndpoint(r: Row): Endpoint {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    url: String(r.url),
    name: strOrNull(r.name),
    description: strOrNull(r.description),
    eventTypes: JSON.parse(String(r.event_types)) as string[],
    minSeverity: strOrNull(r.min_severity) as Endpoint["minSeverity"],
    settings: parseSettings(strOrNull(r.settings)),
    enabled: num(r.enabled) === 1,
    disabledReason: strOrNull(r.disabled_reason) as Endpoint["disabledReason"],
    validationStatus: (strOrNull(r.validation_status) ?? "none") as Endpoint["validationStatus"],
    validationError: strOrNull(r.validation_error),
    validatedAt: numOrNull(r.validated_at),
    previousSecretExpiresAt: numOrNull(r.previous_secret_expires_at),
    version: num(r.version),
    fallbackEndpointId: strOrNull(r.fallback_endpoint_id),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function rowToEventType(r: Row): EventType {
  return {
    name: String(r.name),
    description: strOrNull(r.description),
    schema: parseOrNull(r.schema),
    example: parseOrNull(r.example),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function rowToEvent(r: Row): EventRecord {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    type: String(r.type),
    severity: strOrNull(r.severity) as EventRecord["severity"],
    payload: String(r.payload),
    idempotencyKey: strOrNull(r.idempotency_key),
    createdAt: num(r.created_at),
    fingerprint: strOrNull(r.fingerprint),
    state: strOrNull(r.state) as EventRecord["state"],
    startedAt: num(r.alert_started_at ?? r.created_at),
    updateCount: num(r.update_count ?? 0),
  };
}

export function rowToDelivery(r: Row): Delivery {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    eventId: String(r.event_id),
    endpointId: String(r.endpoint_id),
    eventType: String(r.event_type),
    status: String(r.status) as Delivery["status"],
    attempts: num(r.attempts),
    nextAttemptAt: numOrNull(r.next_attempt_at),
    lastStatusCode: numOrNull(r.last_status_code),
    lastError: strOrNull(r.last_error),
    batchId: strOrNull(r.batch_id),
    pinnedVersion: numOrNull(r.pinned_version),
    sentToEndpointId: strOrNull(r.sent_to_endpoint_id),
    reason: parseOrNull(r.reason) as Delivery["reason"],
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

/** An attempt's request as its two columns: the JSON head (method, url, headers, bodyBytes) and the body. */
export function attemptRequestColumns(q: AttemptRequest | null): [string | null, string | null] {
  if (q === null) return [null, null];
  return [JSON.stringify({ method: q.method, url: q.url, headers: q.headers, bodyBytes: q.bodyBytes }), q.body];
}

function attemptRequestOf(r: Row): AttemptRequest | null {
  const head = parseOrNull(r.request) as Omit<AttemptRequest, "body"> | null;
  return head === null ? null : { ...head, body: strOrNull(r.request_body) };
}

export function rowToAttempt(r: Row): Attempt {
  return {
    id: String(r.id),
    deliveryId: String(r.delivery_id),
    batchId: strOrNull(r.batch_id),
    tenantId: String(r.tenant_id),
    endpointId: String(r.endpoint_id),
    sentToEndpointId: strOrNull(r.sent_to_endpoint_id),
    eventId: String(r.event_id),
    attemptNo: num(r.attempt_no),
    startedAt: num(r.started_at),
    durationMs: num(r.duration_ms),
    statusCode: numOrNull(r.status_code),
    errorClass: strOrNull(r.error_class) as Attempt["errorClass"],
    errorMessage: strOrNull(r.error_message),
    request: attemptRequestOf(r),
    responseHeaders: parseOrNull(r.response_headers) as Record<string, string> | null,
    responseBody: strOrNull(r.response_body),
    willRetry: num(r.will_retry) === 1,
    nextAttemptAt: numOrNull(r.next_attempt_at),
  };
}

export function rowToApiKey(r: Row): ApiKey {
  return {
    id: String(r.id),
    kind: String(r.kind) as ApiKey["kind"],
    tenantId: strOrNull(r.tenant_id),
    name: strOrNull(r.name),
    scopes: JSON.parse(String(r.scopes)) as ApiKey["scopes"],
    prefix: String(r.prefix),
    expiresAt: numOrNull(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
    lastUsedAt: numOrNull(r.last_used_at),
    createdAt: num(r.created_at),
  };
}

/** A claimed delivery with what a worker needs to send it (PostgreSQL returns bigints as strings). */
export function rowToClaimed(r: Row): ClaimedDelivery {
  const createdAt = num(r.created_at);
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    eventId: String(r.event_id),
    eventType: String(r.type),
    eventSeverity: strOrNull(r.severity) as ClaimedDelivery["eventSeverity"],
    eventCreatedAt: createdAt,
    fingerprint: strOrNull(r.fingerprint),
    state: strOrNull(r.state) as ClaimedDelivery["state"],
    startedAt: r.alert_started_at === null || r.alert_started_at === undefined ? createdAt : num(r.alert_started_at),
    updateCount: num(r.update_count ?? 0),
    payload: String(r.payload),
    endpointId: String(r.endpoint_id),
    endpointVersion: num(r.version),
    pinnedVersion: r.pinned_version === null || r.pinned_version === undefined ? num(r.version) : num(r.pinned_version),
    batchId: strOrNull(r.batch_id),
    url: String(r.url),
    attempts: num(r.attempts),
    traceContext: strOrNull(r.trace_context),
  };
}

export function rowToAlert(r: Row): Alert {
  return {
    tenantId: String(r.tenant_id),
    fingerprint: String(r.fingerprint),
    status: r.status === "open" ? "open" : "resolved",
    startedAt: num(r.started_at),
    endedAt: numOrNull(r.ended_at),
    updateCount: num(r.update_count),
    lastEventId: String(r.last_event_id),
    lastEventAt: num(r.last_event_at),
    holds: [],
  };
}

export function rowToBatch(r: Row): Batch {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    endpointId: String(r.endpoint_id),
    size: num(r.size),
    createdAt: num(r.created_at),
    digest: rowToDigestInfo(r),
  };
}

/** A digest's window and count, from its batches row; null for a batch that batching formed. */
export function rowToDigestInfo(r: Row): DigestInfo | null {
  if (r.group_key === null || r.group_key === undefined) return null;
  return { groupBy: String(r.group_by), key: String(r.group_key), folded: num(r.folded), windowStart: num(r.window_start), windowEnd: num(r.window_end) };
}
