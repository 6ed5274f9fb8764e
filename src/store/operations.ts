import type { EndpointGateState, HealthState } from "../core/health.ts";
import type { EndpointFacts, ExhaustedDelivery } from "../core/notices.ts";
import type { Param, Row } from "./sql.ts";

// Health bookkeeping shared by both backends: plain SQL with `?` placeholders, and the glue
// between the rows and the pure rules (core/health.ts, core/notices.ts).

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

/**
 * (now, endpoint): disables an endpoint that has failed for too long. A completion runs it while it
 * holds the endpoint's health row; a claim holds endpoint rows and may then wait for a health row
 * (rate-limit tokens, circuit probe). So on PostgreSQL an endpoint locked by a claim is skipped
 * rather than waited for, which could deadlock: every failure past the limit asks again, so the
 * next completion disables it.
 */
export const DISABLE_FAILING = {
  sqlite: "UPDATE endpoints SET enabled = 0, disabled_reason = 'failing', version = version + 1, updated_at = ? WHERE id = ? AND enabled = 1",
  pg: `UPDATE endpoints SET enabled = 0, disabled_reason = 'failing', version = version + 1, updated_at = $1
  WHERE id = (SELECT id FROM endpoints WHERE id = $2 AND enabled = 1 FOR UPDATE SKIP LOCKED)`,
};

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

/** An endpoint's row joined with its endpoint_health row (`e`, `h`) and its fallback's (`fe`, `fh`): what rowToGate reads. */
export const GATE_COLUMNS = `e.id, e.enabled, e.disabled_reason, e.validation_status, e.batch_max_events, e.rate_per_sec, e.rate_burst, h.circuit,
  h.circuit_until, h.tokens, h.tokens_at, fe.id AS f_id, fe.enabled AS f_enabled, fe.validation_status AS f_validation_status,
  fe.rate_per_sec AS f_rate_per_sec, fe.rate_burst AS f_rate_burst, fh.circuit AS f_circuit, fh.circuit_until AS f_circuit_until,
  fh.tokens AS f_tokens, fh.tokens_at AS f_tokens_at`;
/** The tables GATE_COLUMNS reads. */
export const GATE_FROM = `endpoints e LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
  LEFT JOIN endpoints fe ON fe.id = e.fallback_endpoint_id LEFT JOIN endpoint_health fh ON fh.endpoint_id = fe.id`;

export function rowToGate(r: Row): EndpointGateState {
  const perSecond = numOrNull(r.rate_per_sec);
  const fallback: EndpointGateState | null =
    r.f_id === null || r.f_id === undefined
      ? null
      : rowToGate({
          enabled: r.f_enabled,
          disabled_reason: null,
          validation_status: r.f_validation_status,
          batch_max_events: null,
          rate_per_sec: r.f_rate_per_sec,
          rate_burst: r.f_rate_burst,
          circuit: r.f_circuit,
          circuit_until: r.f_circuit_until,
          tokens: r.f_tokens,
          tokens_at: r.f_tokens_at,
        });
  return {
    fallback,
    disabledReason: (r.disabled_reason as EndpointGateState["disabledReason"] | undefined) ?? null,
    enabled: Number(r.enabled) === 1,
    validationStatus: ((r.validation_status as string | null) ?? "none") as EndpointGateState["validationStatus"],
    batching: numOrNull(r.batch_max_events) !== null,
    circuit: (r.circuit as HealthState["circuit"] | null) ?? "closed",
    circuitUntil: numOrNull(r.circuit_until),
    rateLimit: perSecond === null ? null : { perSecond, burst: Number(r.rate_burst ?? 1) },
    tokens: numOrNull(r.tokens),
    tokensAt: numOrNull(r.tokens_at),
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

export const rowToEndpointFacts = (r: Row): EndpointFacts => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  name: (r.name as string | null) ?? null,
  url: String(r.url),
  fallbackEndpointId: (r.fallback_endpoint_id as string | null) ?? null,
});

/** Reads the deliveries of `exhaustedByDelivery` (id, event_id, event_type, endpoint_id), in id order. */
export const SELECT_EXHAUSTED = "SELECT id, event_id, event_type, endpoint_id FROM deliveries WHERE id IN";

export const rowToExhausted = (r: Row): ExhaustedDelivery => ({
  id: String(r.id),
  eventId: String(r.event_id),
  eventType: String(r.event_type),
  endpointId: String(r.endpoint_id),
});
