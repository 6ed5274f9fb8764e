import type { Param, Row, SqlDb } from "./sql.ts";
import { createdBetween } from "./created-between.ts";
import type { DeliveryStatus } from "../core/types.ts";
import type { DeliveryStatsQuery, OperationalStats, Store } from "./store.ts";

// Operational statistics for the metrics scrape, in SQL both backends accept. Finished deliveries
// can number millions, so nothing here reads them: the queue figures come from the partial
// indexes of pending (deliveries_pending) and in-flight (deliveries_leased) deliveries, whose size
// follows the backlog, and the endpoint figures from the endpoints and endpoint_health tables.

/**
 * Per endpoint with pending work: how many wait, how many of them are due, and the earliest next
 * attempt. One pass over deliveries_pending, in endpoint order, shared by every part below.
 */
const PENDING_BY_ENDPOINT = `p AS MATERIALIZED (
    SELECT endpoint_id, count(*) AS n, sum(CASE WHEN next_attempt_at <= ? THEN 1 ELSE 0 END) AS due, min(next_attempt_at) AS first_at
    FROM deliveries WHERE status = 'pending' GROUP BY endpoint_id)`;

/**
 * The endpoints a worker may claim from now, as the claim query decides it (enabled, validated or
 * not validating), less those whose circuit is open until later: their backlog is held back on
 * purpose and must not read as workers falling behind.
 */
const CLAIMABLE = `c AS MATERIALIZED (
    SELECT p.due, p.first_at FROM p JOIN endpoints e ON e.id = p.endpoint_id
    LEFT JOIN endpoint_health h ON h.endpoint_id = p.endpoint_id
    WHERE e.enabled = 1 AND (e.validation_status IS NULL OR e.validation_status IN ('none', 'passed'))
      AND (h.circuit IS NULL OR h.circuit <> 'open' OR h.circuit_until <= ?))`;

/** Enabled and disabled endpoints by circuit; endpoints that never had an attempt have no health row and are closed. */
export const ENDPOINTS_BY_CIRCUIT = `SELECT e.enabled AS enabled, coalesce(h.circuit, 'closed') AS circuit, count(*) AS n
  FROM endpoints e LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
  GROUP BY e.enabled, coalesce(h.circuit, 'closed')`;

/**
 * Alerts held for flapping now, once per endpoint that damps them (flapping is decided per
 * endpoint): the rows whose hold has not ended, read from alert_sends_flapping, which holds only
 * the rows that ever flapped.
 */
export const ALERTS_FLAPPING = "SELECT count(*) AS n FROM alert_sends WHERE flapping_until > ?";

export function queueStatement(listed: number): string {
  // Rows: one 'all' row of totals, the top endpoints by pending deliveries, and the listed ones.
  const parts = [
    `SELECT 'all' AS kind, NULL AS id,
       (SELECT coalesce(sum(n), 0) FROM p) AS n,
       (SELECT coalesce(sum(due), 0) FROM c) AS due,
       (SELECT min(first_at) FROM c WHERE due > 0) AS first_at,
       (SELECT count(*) FROM deliveries WHERE status = 'delivering') AS delivering`,
    "SELECT 'top', endpoint_id, n, NULL, NULL, NULL FROM (SELECT endpoint_id, n FROM p ORDER BY n DESC, endpoint_id LIMIT ?) t",
  ];
  if (listed > 0) {
    parts.push(`SELECT 'listed', endpoint_id, n, NULL, NULL, NULL FROM p WHERE endpoint_id IN (${Array.from({ length: listed }, () => "?").join(", ")})`);
  }
  return `WITH ${PENDING_BY_ENDPOINT}, ${CLAIMABLE}\n${parts.join("\nUNION ALL\n")}`;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** The newest deliveries of a tenant (or of one endpoint) created in [q.since, q.until). */
function deliveriesIn(q: DeliveryStatsQuery, columns: string): { sql: string; params: Param[] } {
  const range = createdBetween(q.since, q.until);
  const where = ["tenant_id = ?", ...range.where];
  const params: Param[] = [...range.params];
  if (q.endpointId !== undefined) {
    where.push("endpoint_id = ?");
    params.push(q.endpointId);
  }
  return { sql: `SELECT ${columns} FROM deliveries WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`, params };
}

/** The two statements of deliveryStats: counts by bucket and status, and attempt durations. */
export function deliveryStatsQueries(tenantId: string, q: DeliveryStatsQuery): Record<"counts" | "durations", { sql: string; params: Param[] }> {
  const d = deliveriesIn(q, "created_at, status");
  // A batch's attempt is recorded once, under the batch id: take each delivery's or batch's once.
  const a = deliveriesIn(q, "coalesce(batch_id, id) AS aid");
  return {
    counts: {
      sql: `SELECT (created_at - ?) / ? AS bucket, status, count(*) AS n FROM (${d.sql}) d GROUP BY 1, 2`,
      params: [q.since, q.bucketMs, tenantId, ...d.params, q.maxDeliveries],
    },
    durations: {
      sql: `SELECT a.duration_ms FROM (SELECT DISTINCT aid FROM (${a.sql}) x) d JOIN attempts a ON a.delivery_id = d.aid LIMIT ?`,
      params: [tenantId, ...a.params, q.maxAttempts, q.maxAttempts],
    },
  };
}

export function createStatsMethods(db: SqlDb): Pick<Store, "operationalStats" | "deliveryStats"> {
  return {
    async deliveryStats(tenantId, q) {
      const st = deliveryStatsQueries(tenantId, q);
      const counts = await db.all(st.counts.sql, st.counts.params);
      const durations = await db.all(st.durations.sql, st.durations.params);
      const rows = counts.map((r) => ({ bucket: num(r.bucket), status: r.status as DeliveryStatus, n: num(r.n) }));
      return { counts: rows, read: rows.reduce((s, r) => s + r.n, 0), durations: durations.map((r) => num(r.duration_ms)) };
    },
    async operationalStats(now, topN, endpointIds) {
      const params: Param[] = [now, now, topN, ...endpointIds];
      const rows: Row[] = await db.all(queueStatement(endpointIds.length), params);
      const endpointRows = await db.all(ENDPOINTS_BY_CIRCUIT);
      const flapping = await db.all(ALERTS_FLAPPING, [now]);

      const totals = rows.find((r) => r.kind === "all");
      const pendingOf = new Map<string, number>();
      const top: string[] = [];
      for (const r of rows) {
        if (r.kind === "all") continue;
        pendingOf.set(r.id as string, num(r.n));
        if (r.kind === "top") top.push(r.id as string);
      }
      // The listed endpoints first (with 0 when nothing waits), then the top ones not listed.
      const ids = [...new Set([...endpointIds, ...top])];

      const stats: OperationalStats = {
        pending: num(totals?.n),
        due: num(totals?.due),
        delivering: num(totals?.delivering),
        oldestDueAt: totals?.first_at === null || totals?.first_at === undefined ? null : Number(totals.first_at),
        circuits: { closed: 0, open: 0, halfOpen: 0 },
        endpoints: { enabled: 0, disabled: 0 },
        perEndpoint: ids.map((id) => ({ id, pending: pendingOf.get(id) ?? 0 })),
        alertsFlapping: num(flapping[0]?.n),
      };
      for (const r of endpointRows) {
        const n = num(r.n);
        if (num(r.enabled) !== 1) {
          stats.endpoints.disabled += n;
          continue;
        }
        stats.endpoints.enabled += n;
        if (r.circuit === "open") stats.circuits.open += n;
        else if (r.circuit === "half_open") stats.circuits.halfOpen += n;
        else stats.circuits.closed += n;
      }
      return stats;
    },
  };
}
