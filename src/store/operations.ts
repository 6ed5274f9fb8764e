import { type HealthNotice, type HealthPolicy, type HealthState, INITIAL_HEALTH, recordAttempt } from "../core/health.ts";
import { newId } from "../core/ids.ts";
import type { DeliveryOutcome, Severity } from "../core/types.ts";
import type { Param, Row } from "./sql.ts";
import type { NewEvent } from "./store.ts";

// Health bookkeeping and operational events, shared by both backends: plain SQL with `?`
// placeholders, and the glue between the pure rules (core/health.ts) and the rows.

export const HEALTH_COLUMNS =
  "endpoint_id, tenant_id, consecutive_failures, recent, last_success_at, last_failure_at, last_failure_reason, failing_since, circuit, circuit_until, trips, probe_id, updated_at";

/** Writes everything but the rate-limit bucket, which claims own. */
export const UPSERT_HEALTH = `INSERT INTO endpoint_health (${HEALTH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (endpoint_id) DO UPDATE SET consecutive_failures = excluded.consecutive_failures, recent = excluded.recent,
    last_success_at = excluded.last_success_at, last_failure_at = excluded.last_failure_at, last_failure_reason = excluded.last_failure_reason,
    failing_since = excluded.failing_since, circuit = excluded.circuit, circuit_until = excluded.circuit_until, trips = excluded.trips,
    probe_id = excluded.probe_id, updated_at = excluded.updated_at`;

/** A claim's bookkeeping: the bucket after taking tokens. */
export const UPSERT_TOKENS = `INSERT INTO endpoint_health (endpoint_id, tenant_id, tokens, tokens_at, updated_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (endpoint_id) DO UPDATE SET tokens = excluded.tokens, tokens_at = excluded.tokens_at`;

/** A claim sent the open circuit's probe. */
export const MARK_PROBE = "UPDATE endpoint_health SET circuit = 'half_open', probe_id = ?, updated_at = ? WHERE endpoint_id = ?";

/** Manual re-enabling starts the endpoint afresh: closed circuit, no failure streak. */
export const RESET_HEALTH = `UPDATE endpoint_health SET consecutive_failures = 0, recent = '[]', failing_since = NULL, circuit = 'closed',
  circuit_until = NULL, trips = 0, probe_id = NULL, updated_at = ? WHERE endpoint_id = ?`;

export const DISABLE_FAILING =
  "UPDATE endpoints SET enabled = 0, disabled_reason = 'failing', version = version + 1, updated_at = ? WHERE id = ? AND enabled = 1";

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function rowToHealth(r: Row): HealthState {
  return {
    consecutiveFailures: Number(r.consecutive_failures ?? 0),
    recent: JSON.parse(String(r.recent ?? "[]")) as number[],
    lastSuccessAt: numOrNull(r.last_success_at),
    lastFailureAt: numOrNull(r.last_failure_at),
    lastFailureReason: (r.last_failure_reason as string | null) ?? null,
    failingSince: numOrNull(r.failing_since),
    circuit: (r.circuit as HealthState["circuit"]) ?? "closed",
    circuitUntil: numOrNull(r.circuit_until),
    trips: Number(r.trips ?? 0),
    probeId: (r.probe_id as string | null) ?? null,
  };
}

export function healthParams(endpointId: string, tenantId: string, h: HealthState, now: number): Param[] {
  return [
    endpointId,
    tenantId,
    h.consecutiveFailures,
    JSON.stringify(h.recent),
    h.lastSuccessAt,
    h.lastFailureAt,
    h.lastFailureReason,
    h.failingSince,
    h.circuit,
    h.circuitUntil,
    h.trips,
    h.probeId,
    now,
  ];
}

export interface HealthChange {
  endpointId: string;
  tenantId: string;
  before: HealthState;
  after: HealthState;
  notices: HealthNotice[];
}

/**
 * Applies recorded outcomes, in order, to their endpoints' health. A failed transform sent
 * nothing and says nothing about the receiver, so it does not count.
 */
export function applyOutcomes(current: ReadonlyMap<string, HealthState>, outcomes: readonly DeliveryOutcome[], p: HealthPolicy): HealthChange[] {
  const changes = new Map<string, HealthChange>();
  for (const o of outcomes) {
    const a = o.attempt;
    if (a.errorClass === "transform") continue;
    let c = changes.get(o.endpointId);
    if (!c) {
      const before = current.get(o.endpointId) ?? { ...INITIAL_HEALTH };
      c = { endpointId: o.endpointId, tenantId: a.tenantId, before, after: before, notices: [] };
      changes.set(o.endpointId, c);
    }
    const ok = o.status === "succeeded";
    const reason = ok ? null : a.errorClass === "http_status" ? `HTTP ${a.statusCode}` : `${a.errorClass ?? "error"}: ${a.errorMessage ?? ""}`.slice(0, 500);
    const r = recordAttempt(c.after, { ok, reason, at: a.startedAt + a.durationMs, id: a.batchId ?? o.deliveryId }, p);
    c.after = r.next;
    for (const n of r.notices) if (!c.notices.includes(n) || n !== "disabled") c.notices.push(n);
  }
  return [...changes.values()];
}

export type OperationalType = "tocsin.endpoint.failing" | "tocsin.endpoint.disabled" | "tocsin.endpoint.recovered" | "tocsin.delivery.exhausted";

export const OPERATIONAL_TYPES: readonly OperationalType[] = [
  "tocsin.endpoint.failing",
  "tocsin.endpoint.disabled",
  "tocsin.endpoint.recovered",
  "tocsin.delivery.exhausted",
];

const SEVERITY: Record<OperationalType, Severity> = {
  "tocsin.endpoint.failing": "high",
  "tocsin.endpoint.disabled": "critical",
  "tocsin.endpoint.recovered": "info",
  "tocsin.delivery.exhausted": "medium",
};

export interface EndpointFacts {
  id: string;
  tenantId: string;
  name: string | null;
  url: string;
}

export const rowToEndpointFacts = (r: Row): EndpointFacts => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  name: (r.name as string | null) ?? null,
  url: String(r.url),
});

export interface Notice {
  type: OperationalType;
  tenantId: string;
  payload: Record<string, unknown>;
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
    payload: { tenantId: ep.tenantId, endpoint: endpointRef(ep), reason: "gone", failingSince: null, consecutiveFailures: null, lastFailureReason: `HTTP ${o.attempt.statusCode}` },
  };
}

export function exhaustedNotice(ep: EndpointFacts, d: { id: string; eventId: string; eventType: string }, o: DeliveryOutcome): Notice {
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

/** Reads the deliveries of `exhaustedByDelivery` (id, event_id, event_type, endpoint_id), in id order. */
export const SELECT_EXHAUSTED = "SELECT id, event_id, event_type, endpoint_id FROM deliveries WHERE id IN";

export interface CompletionFacts {
  changes: readonly HealthChange[];
  /** Endpoints this completion disabled for failing (their UPDATE changed a row). */
  disabledFailing: ReadonlySet<string>;
  /** Outcomes whose 410 disabled their endpoint. */
  gone: readonly DeliveryOutcome[];
  exhausted: ReadonlyMap<string, DeliveryOutcome>;
  /** The exhausted deliveries as read back (SELECT_EXHAUSTED). */
  exhaustedRows: readonly Row[];
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
      notices.push(healthNotice(kind, c, ep, f.now));
    }
  }
  for (const o of f.gone) {
    const ep = f.endpoints.get(o.endpointId);
    if (ep) notices.push(goneNotice(ep, o));
  }
  for (const d of f.exhaustedRows) {
    const ep = f.endpoints.get(d.endpoint_id as string);
    if (!ep || isOperational(d.event_type as string)) continue;
    notices.push(exhaustedNotice(ep, { id: d.id as string, eventId: d.event_id as string, eventType: d.event_type as string }, f.exhausted.get(d.id as string)!));
  }
  return notices;
}

/**
 * The events to ingest for some notices, per tenant: each goes to its own tenant and, as a copy,
 * to the operator's tenant.
 */
export function noticeEvents(notices: readonly Notice[], opsTenant: string | null, now: number): Map<string, NewEvent[]> {
  const out = new Map<string, NewEvent[]>();
  const add = (tenantId: string, n: Notice) => {
    let list = out.get(tenantId);
    if (!list) out.set(tenantId, (list = []));
    list.push({ id: newId("evt", now), type: n.type, severity: SEVERITY[n.type], payload: JSON.stringify(n.payload), idempotencyKey: null });
  };
  for (const n of notices) {
    add(n.tenantId, n);
    if (opsTenant !== null && opsTenant !== n.tenantId) add(opsTenant, n);
  }
  return out;
}

/** Deliveries of operational events do not announce their own exhaustion (no loops). */
export const isOperational = (eventType: string) => eventType.startsWith("tocsin.");
