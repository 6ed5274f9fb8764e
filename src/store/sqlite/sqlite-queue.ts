import type { SQLInputValue } from "node:sqlite";
import { passesSeverity } from "../../core/endpoint-settings.ts";
import { matchesEventType } from "../../core/event-types.ts";
import { newId } from "../../core/ids.ts";
import type { ClaimedDelivery } from "../../core/types.ts";
import type { Param } from "../sql.ts";
import { RELEASE_EXPIRED, RELEASE_OWNED } from "../crud.ts";
import type { IngestResult, Store } from "../store.ts";
import type { SqliteDb } from "./sqlite-db.ts";

type QueueMethods = Pick<Store, "ingest" | "claimDue" | "complete" | "releaseExpiredLeases" | "releaseOwned">;

const INSERT_EVENT = "INSERT INTO events (id, tenant_id, type, severity, payload, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
const INSERT_DELIVERY = `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`;
const DUE_FOR_ENDPOINT =
  "SELECT id FROM deliveries WHERE endpoint_id = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?";
// Enabled endpoints with pending deliveries, found by skipping from endpoint to endpoint over the
// partial index deliveries_pending (one seek each), so idle endpoints cost nothing per claim.
const ENDPOINTS_WITH_PENDING = `
  WITH RECURSIVE p(id) AS (
    SELECT (SELECT min(endpoint_id) FROM deliveries WHERE status = 'pending')
    UNION ALL
    SELECT (SELECT min(endpoint_id) FROM deliveries WHERE status = 'pending' AND endpoint_id > p.id) FROM p WHERE p.id IS NOT NULL
  )
  SELECT e.id FROM p JOIN endpoints e ON e.id = p.id WHERE e.enabled = 1 AND (e.validation_status IS NULL OR e.validation_status IN ('none', 'passed')) ORDER BY e.id`;
const INFLIGHT_FOR_ENDPOINT = "SELECT count(*) AS n FROM deliveries WHERE endpoint_id = ? AND status = 'delivering'";
const COMPLETE = `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL,
  last_status_code = ?, last_error = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'delivering'`;
const INSERT_ATTEMPT = `INSERT INTO attempts (id, delivery_id, tenant_id, endpoint_id, event_id, attempt_no, started_at, duration_ms, status_code,
  error_class, error_message, response_headers, response_body, will_retry, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Ingest, leasing and completion on SQLite: each call is a synchronous block in a group-committed write transaction. */
export function createSqliteQueue(db: SqliteDb): QueueMethods {
  const get = (sql: string, ...p: SQLInputValue[]) => db.getSync(sql, p as Param[]);
  const all = (sql: string, ...p: SQLInputValue[]) => db.allSync(sql, p as Param[]);
  const run = (sql: string, ...p: SQLInputValue[]) => db.runSync(sql, p as Param[]);
  // Rotates the endpoint a claim starts from, so that no endpoint always comes first.
  let rotation = 0;

  return {
    async ingest(tenantId, events, now, windowMs) {
      return db.writeTx(() => {
        if (!get("SELECT 1 AS one FROM tenants WHERE id = ?", tenantId)) return null;
        const endpoints = all("SELECT id, event_types, min_severity FROM endpoints WHERE tenant_id = ? AND enabled = 1", tenantId).map((r) => ({
          id: r.id as string,
          types: JSON.parse(r.event_types as string) as string[],
          minSeverity: (r.min_severity as string | null) ?? null,
        }));
        const out: IngestResult[] = [];
        for (const ev of events) {
          if (ev.idempotencyKey !== null) {
            const prior = get("SELECT event_id, expires_at FROM idempotency_keys WHERE tenant_id = ? AND key = ?", tenantId, ev.idempotencyKey);
            if (prior && Number(prior.expires_at) > now) {
              const n = get("SELECT count(*) AS n FROM deliveries WHERE event_id = ?", prior.event_id as string);
              out.push({ id: prior.event_id as string, deliveries: Number(n?.n ?? 0), duplicate: true });
              continue;
            }
            run(
              `INSERT INTO idempotency_keys (tenant_id, key, event_id, expires_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (tenant_id, key) DO UPDATE SET event_id = excluded.event_id, expires_at = excluded.expires_at`,
              tenantId,
              ev.idempotencyKey,
              ev.id,
              now + windowMs,
            );
          }
          run(INSERT_EVENT, ev.id, tenantId, ev.type, ev.severity ?? null, ev.payload, ev.idempotencyKey, now);
          let n = 0;
          for (const ep of endpoints) {
            if (!matchesEventType(ep.types, ev.type) || !passesSeverity(ep.minSeverity, ev.severity ?? null)) continue;
            run(INSERT_DELIVERY, newId("dlv", now), tenantId, ev.id, ep.id, ev.type, now, now, now);
            n++;
          }
          out.push({ id: ev.id, deliveries: n, duplicate: false });
        }
        return out;
      });
    },

    async claimDue({ limit, leaseMs, owner, now, endpointConcurrency }) {
      return db.writeTx(() => {
        const endpoints = all(ENDPOINTS_WITH_PENDING);
        const ids: string[] = [];
        const start = endpoints.length ? rotation++ % endpoints.length : 0;
        for (let i = 0; i < endpoints.length && ids.length < limit; i++) {
          const epId = endpoints[(start + i) % endpoints.length].id as string;
          // An index seek per endpoint: a GROUP BY over all in-flight rows would read the whole
          // deliveries index when the planner has no statistics, on every claim.
          const leased = Number(get(INFLIGHT_FOR_ENDPOINT, epId)?.n ?? 0);
          const room = Math.min(endpointConcurrency - leased, limit - ids.length);
          if (room <= 0) continue;
          for (const r of all(DUE_FOR_ENDPOINT, epId, now, room)) ids.push(r.id as string);
        }
        if (ids.length === 0) return [];
        const list = JSON.stringify(ids);
        run(
          `UPDATE deliveries SET status = 'delivering', lease_owner = ?, lease_until = ?, updated_at = ?
           WHERE id IN (SELECT value FROM json_each(?))`,
          owner,
          now + leaseMs,
          now,
          list,
        );
        return all(
            `SELECT d.id, d.tenant_id, d.event_id, d.endpoint_id, d.attempts, ev.type, ev.severity, ev.payload, ev.created_at,
                    e.url, e.version
             FROM deliveries d JOIN events ev ON ev.id = d.event_id JOIN endpoints e ON e.id = d.endpoint_id
             WHERE d.id IN (SELECT value FROM json_each(?))`,
            list,
          )
          .map(
            (r): ClaimedDelivery => ({
              id: r.id as string,
              tenantId: r.tenant_id as string,
              eventId: r.event_id as string,
              eventType: r.type as string,
              eventSeverity: (r.severity as ClaimedDelivery["eventSeverity"]) ?? null,
              eventCreatedAt: Number(r.created_at),
              payload: r.payload as string,
              endpointId: r.endpoint_id as string,
              endpointVersion: Number(r.version),
              url: r.url as string,
              attempts: Number(r.attempts),
            }),
          );
      });
    },

    async complete(owner, outcomes, now) {
      if (outcomes.length === 0) return;
      await db.writeTx(() => {
        for (const o of outcomes) {
          const a = o.attempt;
          const changed = run(
            COMPLETE,
            o.status,
            o.nextAttemptAt,
            a.statusCode,
            a.errorClass === null ? null : `${a.errorClass}: ${a.errorMessage ?? ""}`,
            now,
            o.deliveryId,
            owner,
          );
          // Fencing: a worker whose lease expired and was re-claimed elsewhere changes nothing.
          if (changed === 0) continue;
          const params: SQLInputValue[] = [
            a.id,
            a.deliveryId,
            a.tenantId,
            a.endpointId,
            a.eventId,
            a.attemptNo,
            a.startedAt,
            a.durationMs,
            a.statusCode,
            a.errorClass,
            a.errorMessage,
            a.responseHeaders === null ? null : JSON.stringify(a.responseHeaders),
            a.responseBody,
            a.willRetry ? 1 : 0,
            a.nextAttemptAt,
          ];
          run(INSERT_ATTEMPT, ...params);
          if (o.disableEndpoint) {
            run(
              "UPDATE endpoints SET enabled = 0, disabled_reason = ?, version = version + 1, updated_at = ? WHERE id = ? AND enabled = 1",
              o.disableEndpoint,
              now,
              o.endpointId,
            );
          }
        }
      });
    },

    async releaseExpiredLeases(now) {
      return db.run(RELEASE_EXPIRED, [now]);
    },

    async releaseOwned(owner, now) {
      return db.run(RELEASE_OWNED, [now, owner]);
    },
  };
}
