import { parseJsonKeepingSource } from "../core/json.ts";
import type { Attempt, Delivery, Endpoint, EventRecord, EventType, Tenant } from "../core/types.ts";
import { endpointStatus } from "../services/endpoints.ts";

// Domain objects -> API documents: ISO timestamps, derived fields, secrets replaced by `<field>Set`.

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function presentTenant(t: Tenant) {
  return { id: t.id, name: t.name, metadata: t.metadata, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) };
}

export function presentEndpoint(e: Endpoint) {
  return {
    id: e.id,
    tenantId: e.tenantId,
    url: e.url,
    name: e.name,
    description: e.description,
    eventTypes: e.eventTypes,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    status: endpointStatus(e),
    secretSet: true,
    version: e.version,
    createdAt: iso(e.createdAt),
    updatedAt: iso(e.updatedAt),
  };
}

export function presentEventType(t: EventType) {
  return { name: t.name, description: t.description, schema: t.schema, example: t.example, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) };
}

export function presentEvent(e: EventRecord) {
  return {
    id: e.id,
    tenantId: e.tenantId,
    type: e.type,
    payload: parseJsonKeepingSource(e.payload),
    idempotencyKey: e.idempotencyKey,
    createdAt: iso(e.createdAt),
  };
}

export function presentDelivery(d: Delivery) {
  return {
    id: d.id,
    tenantId: d.tenantId,
    eventId: d.eventId,
    endpointId: d.endpointId,
    eventType: d.eventType,
    status: d.status,
    attemptCount: d.attempts,
    nextAttemptAt: isoOrNull(d.nextAttemptAt),
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}

export function presentAttempt(a: Attempt) {
  return {
    id: a.id,
    deliveryId: a.deliveryId,
    attemptNo: a.attemptNo,
    startedAt: iso(a.startedAt),
    durationMs: a.durationMs,
    statusCode: a.statusCode,
    errorClass: a.errorClass,
    errorMessage: a.errorMessage,
    responseHeaders: a.responseHeaders,
    responseBody: a.responseBody,
    willRetry: a.willRetry,
    nextAttemptAt: isoOrNull(a.nextAttemptAt),
  };
}
