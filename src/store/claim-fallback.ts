import type { Row } from "./sql.ts";

// The pieces of claimDue (store/claim.ts) that decide where a failing endpoint's deliveries go:
// to its fallback endpoint, under that endpoint's gate (docs/delivery.md, "Fallback endpoint").

/** The endpoint columns a claim's gate needs, with the health row `h` joined. */
export const ENDPOINT_COLUMNS = `e.id, e.tenant_id, e.version, e.enabled, e.validation_status, e.fallback_endpoint_id, e.batch_max_events, e.rate_per_sec,
  e.rate_burst, h.circuit, h.circuit_until, h.tokens, h.tokens_at`;

/** The endpoint may send now: enabled, validated, its circuit not cooling down (`now` is the time parameter). */
export const SENDS = (now: string) => `(e.enabled = 1 AND (e.validation_status IS NULL OR e.validation_status IN ('none', 'passed'))
    AND NOT (coalesce(h.circuit, 'closed') = 'open' AND h.circuit_until > ${now}))`;
/** The endpoint fails and its deliveries go to its fallback: circuit cooling down, or disabled for failing or by a 410 (not by a person). */
export const FALLS_BACK = (now: string) => `(e.fallback_endpoint_id IS NOT NULL AND CASE WHEN e.enabled = 1
    THEN coalesce(h.circuit, 'closed') = 'open' AND h.circuit_until > ${now} ELSE e.disabled_reason IN ('failing', 'gone') END)`;

/** A listed endpoint sends to itself (else to its fallback): SENDS, on the row DUE_ENDPOINTS returned. */
export function sendsItself(r: Row, now: number): boolean {
  const v = r.validation_status as string | null;
  const cooling = r.circuit === "open" && r.circuit_until !== null && Number(r.circuit_until) > now;
  return Number(r.enabled) === 1 && (v === null || v === "none" || v === "passed") && !cooling;
}

/**
 * (endpoints, now): the fallbacks of failing endpoints that may send now (enabled, validated,
 * circuit not cooling down), with what their gate needs. PostgreSQL locks them as DUE_ENDPOINTS
 * locks the listed ones (SKIP LOCKED: one another claimer holds is left to it this time).
 */
export const FALLBACK_GATES = {
  // CROSS JOIN fixes the loop order: with statistics, SQLite's planner otherwise scans a small endpoints table.
  sqlite: `SELECT ${ENDPOINT_COLUMNS} FROM json_each(?1) j CROSS JOIN endpoints e ON e.id = j.value LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
  WHERE ${SENDS("?2")}`,
  pg: `SELECT ${ENDPOINT_COLUMNS} FROM endpoints e LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
  WHERE e.id = ANY($1::text[]) AND ${SENDS("$2")}
  FOR UPDATE OF e SKIP LOCKED`,
};

/** (endpoint, deliveries): the leased deliveries go to that fallback endpoint. */
export const MARK_SENT_TO = {
  sqlite: "UPDATE deliveries SET sent_to_endpoint_id = ?1 WHERE id IN (SELECT value FROM json_each(?2))",
  pg: "UPDATE deliveries SET sent_to_endpoint_id = $1 WHERE id = ANY($2::text[])",
};
