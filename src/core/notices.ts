import { type HealthNotice, type HealthPolicy, type HealthState, INITIAL_HEALTH, recordAttempt } from "./health.ts";
import { newId } from "./ids.ts";
import type { DeliveryOutcome, Severity } from "./types.ts";

// Which operational events (tocsin.*) follow from recorded outcomes: pure rules over the facts a
// completion read and wrote. The store executes (store/complete.ts reads the facts, writes the
// health rows, ingests the events this returns); the decisions are all here.

/** An operational event to ingest (the shape the store's ingest takes). */
export interface NoticeEvent {
  id: string;
  type: OperationalType;
  severity: Severity;
  payload: string;
  idempotencyKey: null;
  /** Delivered to the endpoint's fallback as well, unless fan-out reaches it or the endpoint (see NewEvent in store/store.ts). */
  fallbackCopy?: { primary: string; fallback: string };
}

export interface HealthChange {
  endpointId: string;
  tenantId: string;
  before: HealthState;
  after: HealthState;
  notices: HealthNotice[];
}

/** The endpoint an attempt was sent to, whose health its result changes: the delivery's own, or the fallback it went to. */
export const calledEndpoint = (o: DeliveryOutcome): string => o.sentToEndpointId ?? o.endpointId;

/**
 * Applies recorded outcomes, in order, to the health of the endpoints they were sent to. A failed transform sent
 * nothing and says nothing about the receiver, so it does not count.
 */
export function applyOutcomes(current: ReadonlyMap<string, HealthState>, outcomes: readonly DeliveryOutcome[], p: HealthPolicy): HealthChange[] {
  const changes = new Map<string, HealthChange>();
  for (const o of outcomes) {
    const a = o.attempt;
    if (a.errorClass === "transform") continue;
    const id = calledEndpoint(o);
    let c = changes.get(id);
    if (!c) {
      const before = current.get(id) ?? { ...INITIAL_HEALTH };
      c = { endpointId: id, tenantId: a.tenantId, before, after: before, notices: [] };
      changes.set(id, c);
    }
    const ok = o.status === "succeeded";
    const reason = ok ? null : a.errorClass === "http_status" ? `HTTP ${a.statusCode}` : `${a.errorClass ?? "error"}: ${a.errorMessage ?? ""}`.slice(0, 500);
    const r = recordAttempt(c.after, { ok, reason, at: a.startedAt + a.durationMs, id: a.batchId ?? o.deliveryId }, p);
    c.after = r.next;
    for (const n of r.notices) if (!c.notices.includes(n) || n !== "disabled") c.notices.push(n);
  }
  return [...changes.values()];
}

export type OperationalType =
  "tocsin.endpoint.failing" | "tocsin.endpoint.disabled" | "tocsin.endpoint.recovered" | "tocsin.delivery.exhausted" | "tocsin.alert.flapping";

export const OPERATIONAL_TYPES: readonly OperationalType[] = [
  "tocsin.endpoint.failing",
  "tocsin.endpoint.disabled",
  "tocsin.endpoint.recovered",
  "tocsin.delivery.exhausted",
  "tocsin.alert.flapping",
];

const SEVERITY: Record<OperationalType, Severity> = {
  "tocsin.endpoint.failing": "high",
  "tocsin.endpoint.disabled": "critical",
  "tocsin.endpoint.recovered": "info",
  "tocsin.delivery.exhausted": "medium",
  // The default only: a flapping notice takes the severity of the alert it is about (core/flapping.ts).
  "tocsin.alert.flapping": "medium",
};

/** A notice's severity when it has none of its own. */
export const noticeSeverity = (type: OperationalType): Severity => SEVERITY[type];

export interface EndpointFacts {
  id: string;
  tenantId: string;
  name: string | null;
  url: string;
  /** Its fallback endpoint, which is told when it fails (failing, disabled) even without subscribing to tocsin.*. */
  fallbackEndpointId?: string | null;
}

export interface Notice {
  type: OperationalType;
  tenantId: string;
  payload: Record<string, unknown>;
  /** The endpoint's fallback takes this notice too (its own tenant's copy only). */
  fallbackCopy?: { primary: string; fallback: string };
}

/** A failing or disabled endpoint's notice reaches its fallback, which takes its deliveries now. */
function toFallback(n: Notice, ep: EndpointFacts): Notice {
  return ep.fallbackEndpointId ? { ...n, fallbackCopy: { primary: ep.id, fallback: ep.fallbackEndpointId } } : n;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The endpoint as operational events describe it: the URL without its query, which may carry a token. */
export function endpointRef(e: EndpointFacts): Record<string, unknown> {
  let url = e.url;
  try {
    const u = new URL(e.url);
    url = u.origin + u.pathname;
  } catch {
    // stored URLs are valid; keep it as it is otherwise
  }
  return { id: e.id, name: e.name, url };
}

export function healthNotice(kind: HealthNotice, c: HealthChange, ep: EndpointFacts, now: number): Notice {
  const base = { tenantId: ep.tenantId, endpoint: endpointRef(ep) };
  if (kind === "failing") {
    return {
      type: "tocsin.endpoint.failing",
      tenantId: ep.tenantId,
      payload: {
        ...base,
        failingSince: iso(c.after.failingSince),
        consecutiveFailures: c.after.consecutiveFailures,
        lastFailureReason: c.after.lastFailureReason,
        retryingAt: iso(c.after.circuitUntil),
      },
    };
  }
  if (kind === "recovered") {
    return {
      type: "tocsin.endpoint.recovered",
      tenantId: ep.tenantId,
      payload: { ...base, failingSince: iso(c.before.failingSince), recoveredAt: iso(c.after.lastSuccessAt ?? now) },
    };
  }
  return {
    type: "tocsin.endpoint.disabled",
    tenantId: ep.tenantId,
    payload: {
      ...base,
      reason: "failing",
      failingSince: iso(c.after.failingSince),
      consecutiveFailures: c.after.consecutiveFailures,
      lastFailureReason: c.after.lastFailureReason,
    },
  };
}

export function goneNotice(ep: EndpointFacts, o: DeliveryOutcome): Notice {
  return {
    type: "tocsin.endpoint.disabled",
    tenantId: ep.tenantId,
    payload: {
      tenantId: ep.tenantId,
      endpoint: endpointRef(ep),
      reason: "gone",
      failingSince: null,
      consecutiveFailures: null,
      lastFailureReason: `HTTP ${o.attempt.statusCode}`,
    },
  };
}

/** A delivery that failed for good, as the notice about it needs it. */
export interface ExhaustedDelivery {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
}

export function exhaustedNotice(ep: EndpointFacts, d: ExhaustedDelivery, o: DeliveryOutcome): Notice {
  const a = o.attempt;
  return {
    type: "tocsin.delivery.exhausted",
    tenantId: ep.tenantId,
    payload: {
      tenantId: ep.tenantId,
      endpoint: endpointRef(ep),
      delivery: { id: d.id, eventId: d.eventId, eventType: d.eventType, batchId: a.batchId, attempts: a.attemptNo },
      lastStatusCode: a.statusCode,
      lastError: a.errorClass === null ? null : `${a.errorClass}: ${a.errorMessage ?? ""}`.slice(0, 500),
    },
  };
}

/** The outcomes that failed for good, by delivery (a batch's members each). */
export function exhaustedByDelivery(outcomes: readonly DeliveryOutcome[]): Map<string, DeliveryOutcome> {
  return new Map(outcomes.filter((o) => o.status === "failed").flatMap((o) => (o.memberIds ?? [o.deliveryId]).map((id) => [id, o] as const)));
}

export interface CompletionFacts {
  changes: readonly HealthChange[];
  /** Endpoints this completion disabled for failing (their UPDATE changed a row). */
  disabledFailing: ReadonlySet<string>;
  /** Outcomes whose 410 disabled their endpoint. */
  gone: readonly DeliveryOutcome[];
  exhausted: ReadonlyMap<string, DeliveryOutcome>;
  /** The exhausted deliveries as read back from the database, in id order. */
  exhaustedRows: readonly ExhaustedDelivery[];
  endpoints: ReadonlyMap<string, EndpointFacts>;
  now: number;
}

/** Whether a completion has anything to announce (before reading what the announcements need). */
export function hasNotices(changes: readonly HealthChange[], gone: readonly DeliveryOutcome[], exhausted: ReadonlyMap<string, DeliveryOutcome>): boolean {
  return gone.length > 0 || exhausted.size > 0 || changes.some((c) => c.notices.length > 0);
}

/** Every operational notice a completion causes, in order: health changes, 410s, exhausted deliveries. */
export function collectNotices(f: CompletionFacts): Notice[] {
  const notices: Notice[] = [];
  for (const c of f.changes) {
    const ep = f.endpoints.get(c.endpointId);
    if (!ep) continue;
    for (const kind of c.notices) {
      if (kind === "disabled" && !f.disabledFailing.has(c.endpointId)) continue;
      const n = healthNotice(kind, c, ep, f.now);
      notices.push(kind === "recovered" ? n : toFallback(n, ep));
    }
  }
  for (const o of f.gone) {
    const ep = f.endpoints.get(calledEndpoint(o));
    if (ep) notices.push(toFallback(goneNotice(ep, o), ep));
  }
  for (const d of f.exhaustedRows) {
    const ep = f.endpoints.get(d.endpointId);
    if (!ep || isOperational(d.eventType)) continue;
    notices.push(exhaustedNotice(ep, d, f.exhausted.get(d.id)!));
  }
  return notices;
}

/**
 * The events to ingest for some notices, per tenant: each goes to its own tenant and, as a copy,
 * to the operator's tenant.
 */
export function noticeEvents(notices: readonly Notice[], opsTenant: string | null, now: number): Map<string, NoticeEvent[]> {
  const out = new Map<string, NoticeEvent[]>();
  const add = (tenantId: string, n: Notice, copy: Notice["fallbackCopy"]) => {
    let list = out.get(tenantId);
    if (!list) out.set(tenantId, (list = []));
    list.push({
      id: newId("evt", now),
      type: n.type,
      severity: SEVERITY[n.type],
      payload: JSON.stringify(n.payload),
      idempotencyKey: null,
      ...(copy ? { fallbackCopy: copy } : {}),
    });
  };
  for (const n of notices) {
    add(n.tenantId, n, n.fallbackCopy);
    if (opsTenant !== null && opsTenant !== n.tenantId) add(opsTenant, n, undefined);
  }
  return out;
}

/** Deliveries of operational events do not announce their own exhaustion (no loops). */
export const isOperational = (eventType: string) => eventType.startsWith("tocsin.");
