import type { ApiKey } from "../core/api-keys.ts";
import { parseJsonKeepingSource } from "../core/json.ts";
import { DEFAULT_HEALTH_POLICY, type HealthView, type WaitingFor, healthView } from "../core/health.ts";
import type { Alert, Attempt, Batch, Delivery, Endpoint, EventRecord, EventType, Replay, Tenant } from "../core/types.ts";
import { endpointStatus, endpointWarnings } from "../services/endpoints.ts";
import { clientCertInfo } from "../services/endpoint-settings-tls.ts";
import { type Silence, currentWindow, silenceState, upcomingWindow } from "../core/silences.ts";

// Domain objects -> API documents: ISO timestamps, derived fields, secrets replaced by `<field>Set`.

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function presentTenant(t: Tenant) {
  return { id: t.id, name: t.name, metadata: t.metadata, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) };
}

export function presentReplay(r: Replay) {
  return {
    id: r.id,
    tenantId: r.tenantId,
    endpointId: r.endpointId,
    eventType: r.eventType,
    since: iso(r.since),
    until: iso(r.until),
    sinceAgo: r.sinceAgo,
    untilAgo: r.untilAgo,
    status: r.scope,
    state: r.state,
    total: r.total,
    processed: r.processed,
    queued: r.queued,
    skipped: r.skipped,
    progress: r.state === "completed" ? 1 : r.total === 0 ? 0 : Math.min(1, Math.round((r.processed / r.total) * 1000) / 1000),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    finishedAt: isoOrNull(r.finishedAt),
  };
}

export function presentHealth(h: HealthView) {
  return {
    ...h,
    lastSuccessAt: isoOrNull(h.lastSuccessAt),
    lastFailureAt: isoOrNull(h.lastFailureAt),
    failingSince: isoOrNull(h.failingSince),
    circuitUntil: isoOrNull(h.circuitUntil),
    disableAt: isoOrNull(h.disableAt),
  };
}

export function presentEndpoint(e: Endpoint, now: number = Date.now()) {
  const s = e.settings;
  const health = e.health ?? healthView(null, now, DEFAULT_HEALTH_POLICY);
  const status = endpointStatus(e);
  const auth =
    s.auth.type === "basic"
      ? { type: "basic" as const, username: s.auth.username, passwordSet: true }
      : s.auth.type === "bearer"
        ? { type: "bearer" as const, tokenSet: true }
        : s.auth.type === "oauth2"
          ? { ...s.auth, clientSecretSet: true }
          : { type: "none" as const };
  return {
    id: e.id,
    tenantId: e.tenantId,
    url: e.url,
    name: e.name,
    description: e.description,
    method: s.method,
    headers: s.headers,
    auth,
    tls: {
      clientCert: s.tls.clientCert,
      clientCertInfo: clientCertInfo(s.tls.clientCert),
      clientKeySet: s.tls.clientCert !== null,
      ca: s.tls.ca,
      skipVerify: s.tls.skipVerify,
    },
    timeouts: s.timeouts,
    eventTypes: e.eventTypes,
    minSeverity: e.minSeverity,
    signing: s.signing,
    validation: {
      mode: s.validation.mode,
      method: s.validation.method,
      status: e.validationStatus,
      error: e.validationError,
      validatedAt: isoOrNull(e.validatedAt),
    },
    format: s.format,
    lifecycle: s.lifecycle,
    batch: s.batch,
    rateLimit: s.rateLimit,
    retry: s.retry,
    proxy: s.proxy ?? null,
    filter: s.filter,
    tracing: s.tracing,
    fallbackEndpointId: e.fallbackEndpointId,
    flapping: s.flapping,
    digest: s.digest ?? null,
    health: presentHealth(health),
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    // An enabled, validated endpoint whose attempts keep failing is failing before its circuit opens.
    status,
    secretSet: true,
    previousSecretExpiresAt: e.previousSecretExpiresAt !== null && e.previousSecretExpiresAt > now ? iso(e.previousSecretExpiresAt) : null,
    warnings: endpointWarnings(e, now),
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
    severity: e.severity,
    payload: parseJsonKeepingSource(e.payload),
    idempotencyKey: e.idempotencyKey,
    createdAt: iso(e.createdAt),
    fingerprint: e.fingerprint,
    state: e.state,
    startedAt: iso(e.startedAt),
    updateCount: e.updateCount,
  };
}

/** A delivery; with `waitingFor` when the caller worked it out (services/deliveries.ts). */
export function presentDelivery(d: Delivery & { waitingFor?: WaitingFor | null }) {
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
    batchId: d.batchId,
    pinnedVersion: d.pinnedVersion,
    sentToEndpointId: d.sentToEndpointId,
    reason: d.reason,
    ...(d.waitingFor === undefined ? {} : { waitingFor: d.waitingFor && { reason: d.waitingFor.reason, until: isoOrNull(d.waitingFor.until) } }),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}

export function presentAttempt(a: Attempt) {
  return {
    id: a.id,
    deliveryId: a.deliveryId,
    batchId: a.batchId,
    sentToEndpointId: a.sentToEndpointId,
    attemptNo: a.attemptNo,
    startedAt: iso(a.startedAt),
    durationMs: a.durationMs,
    statusCode: a.statusCode,
    errorClass: a.errorClass,
    errorMessage: a.errorMessage,
    request: a.request && { method: a.request.method, url: a.request.url, headers: a.request.headers, body: a.request.body, bodyBytes: a.request.bodyBytes },
    responseHeaders: a.responseHeaders,
    responseBody: a.responseBody,
    willRetry: a.willRetry,
    nextAttemptAt: isoOrNull(a.nextAttemptAt),
  };
}

export function presentApiKey(k: ApiKey) {
  return {
    id: k.id,
    kind: k.kind,
    tenantId: k.tenantId,
    name: k.name,
    scopes: k.scopes,
    prefix: k.prefix,
    expiresAt: isoOrNull(k.expiresAt),
    revokedAt: isoOrNull(k.revokedAt),
    lastUsedAt: isoOrNull(k.lastUsedAt),
    createdAt: iso(k.createdAt),
  };
}

export function presentAlert(a: Alert, now: number) {
  return {
    fingerprint: a.fingerprint,
    status: a.status,
    startedAt: iso(a.startedAt),
    endedAt: isoOrNull(a.endedAt),
    durationMs: (a.endedAt ?? now) - a.startedAt,
    updateCount: a.updateCount,
    lastEventId: a.lastEventId,
    lastEventAt: iso(a.lastEventAt),
    holds: a.holds.map((h) => {
      const { until, always: _always, ...reason } = h.reason as typeof h.reason & { until?: number; always?: boolean };
      return { endpointId: h.endpointId, reason, until: typeof until === "number" ? iso(until) : null };
    }),
  };
}

export function presentBatch(b: Batch, members: Delivery[], attempts: Attempt[]) {
  return {
    id: b.id,
    tenantId: b.tenantId,
    endpointId: b.endpointId,
    size: b.size,
    // Members change state together; the first one's is the batch's.
    status: members[0]?.status ?? "cancelled",
    createdAt: iso(b.createdAt),
    digest:
      b.digest === null
        ? null
        : { groupBy: b.digest.groupBy, key: b.digest.key, count: b.digest.folded, windowStart: iso(b.digest.windowStart), windowEnd: iso(b.digest.windowEnd) },
    deliveries: members.map(presentDelivery),
    attempts: attempts.map(presentAttempt),
  };
}

export function presentSilence(s: Silence, now: number) {
  const window = (w: { start: number; end: number } | null) => (w === null ? null : { start: iso(w.start), end: iso(w.end) });
  return {
    id: s.id,
    tenantId: s.tenantId,
    matchers: s.matchers,
    endpointIds: s.endpointIds,
    startsAt: iso(s.startsAt),
    endsAt: isoOrNull(s.endsAt),
    schedule: s.schedule === null ? null : { ...s.schedule, days: [...s.schedule.days] },
    comment: s.comment,
    createdBy: s.createdBy,
    createdAt: iso(s.createdAt),
    expiredEarly: s.expiredEarly,
    state: silenceState(s, now),
    currentWindow: window(currentWindow(s, now)),
    nextWindow: window(upcomingWindow(s, now)),
    suppressed: s.suppressed,
  };
}
