import type { SQLInputValue } from "node:sqlite";
import { passesSeverity } from "../../core/endpoint-settings.ts";
import { matchesEventType } from "../../core/event-types.ts";
import { newId } from "../../core/ids.ts";

import type { Param } from "../sql.ts";
import { RELEASE_EXPIRED, RELEASE_OWNED } from "../crud.ts";
import { rowToClaimed } from "../rows.ts";
import { type AlertStep, shouldSend, stepAlert } from "../../core/alerts.ts";
import {
  COUNT_UNBATCHED,
  FANOUT_ENDPOINTS,
  FULL_BATCHES_CHECKED,
  MARK_FULL_BATCHES_DUE,
  type FanoutEndpoint,
  SELECT_ALERT, SELECT_ALERT_SEND, UPSERT_ALERT, UPSERT_ALERT_SEND, alertParams, lifecycleOf, rowToAlertRow, rowToFanoutEndpoint } from "../fanout.ts";
import { gateOf } from "../gate.ts";
import { tenantRoomOf } from "../tenant-room.ts";
import {
  MARK_PROBE,
  UPSERT_TOKENS,
} from "../operations.ts";
import { DEFAULT_COMPLETE, type IngestResult, type NewEvent, type Store } from "../store.ts";
import type { SqliteDb } from "./sqlite-db.ts";
import { runStepsSync } from "./sqlite-steps.ts";
import { completeSteps } from "../complete.ts";
import { SQLITE } from "../dialect.ts";

type QueueMethods = Pick<Store, "ingest" | "claimDue" | "complete" | "releaseExpiredLeases" | "releaseOwned">;

export const INSERT_EVENT = `INSERT INTO events (id, tenant_id, type, severity, payload, idempotency_key, created_at, fingerprint, state, alert_started_at, update_count)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
export const INSERT_DELIVERY = `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`;
export const DUE_FOR_ENDPOINT =
  "SELECT id FROM deliveries WHERE endpoint_id = ? AND status = 'pending' AND next_attempt_at <= ? AND batch_id IS NULL ORDER BY next_attempt_at LIMIT ?";
// Runs for every endpoint on every claim, batching or not. Pinned to the partial index of pending
// batched deliveries: without statistics the planner picks deliveries_due instead and reads the
// endpoint's whole due backlog (one table row each, to test batch_id), for an endpoint that may
// not batch at all. This way an endpoint without due batches costs one seek into an empty range.
export const DUE_BATCHES = `SELECT DISTINCT batch_id FROM deliveries INDEXED BY deliveries_batch_due
  WHERE endpoint_id = ? AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= ? LIMIT ?`;
export const BATCH_MEMBERS = "SELECT id FROM deliveries WHERE batch_id = ? AND status = 'pending'";
// The pending deliveries of a batching endpoint that no batch holds yet, oldest first.
export const UNBATCHED = `SELECT id, next_attempt_at FROM deliveries WHERE endpoint_id = ? AND status = 'pending' AND batch_id IS NULL
  ORDER BY next_attempt_at, id LIMIT ?`;
// Enabled endpoints with pending deliveries, found by skipping from endpoint to endpoint over the
// partial index deliveries_pending (one seek each), so idle endpoints cost nothing per claim.
// Tenants whose per-tenant room is used up (a JSON array) are left out.
export const ENDPOINTS_WITH_PENDING = `
  WITH RECURSIVE p(id) AS (
    SELECT (SELECT min(endpoint_id) FROM deliveries WHERE status = 'pending')
    UNION ALL
    SELECT (SELECT min(endpoint_id) FROM deliveries WHERE status = 'pending' AND endpoint_id > p.id) FROM p WHERE p.id IS NOT NULL
  )
  SELECT e.id, e.tenant_id, e.batch_max_events, e.batch_max_wait_ms, e.rate_per_sec, e.rate_burst, h.circuit, h.circuit_until, h.tokens, h.tokens_at
  FROM p JOIN endpoints e ON e.id = p.id LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
  WHERE e.enabled = 1 AND (e.validation_status IS NULL OR e.validation_status IN ('none', 'passed'))
    AND NOT (coalesce(h.circuit, 'closed') = 'open' AND h.circuit_until > ?)
    AND e.tenant_id NOT IN (SELECT value FROM json_each(?))
  ORDER BY e.id`;
export const INFLIGHT_FOR_ENDPOINT = "SELECT count(DISTINCT coalesce(batch_id, id)) AS n FROM deliveries WHERE endpoint_id = ? AND status = 'delivering'";
export const INSERT_BATCH = "INSERT INTO batches (id, tenant_id, endpoint_id, size, created_at) VALUES (?, ?, ?, ?, ?)";
export const ASSIGN_BATCH = "UPDATE deliveries SET batch_id = ? WHERE id IN (SELECT value FROM json_each(?))";
// The claimed rows (a JSON array of ids) leased to their owner, then read with their event and endpoint.
export const LEASE_IDS = `UPDATE deliveries SET status = 'delivering', lease_owner = ?, lease_until = ?, updated_at = ?,
    pinned_version = coalesce(pinned_version, (SELECT version FROM endpoints e WHERE e.id = deliveries.endpoint_id))
  WHERE id IN (SELECT value FROM json_each(?))`;
export const SELECT_CLAIMED = `SELECT d.id, d.tenant_id, d.event_id, d.endpoint_id, d.attempts, d.pinned_version, d.batch_id,
    ev.type, ev.severity, ev.payload, ev.created_at, ev.fingerprint, ev.state, ev.alert_started_at, ev.update_count, e.url, e.version
  FROM deliveries d JOIN events ev ON ev.id = d.event_id JOIN endpoints e ON e.id = d.endpoint_id
  WHERE d.id IN (SELECT value FROM json_each(?))`;

/**
 * Ingest and leasing on SQLite, and completion (store/complete.ts) run through the synchronous step
 * driver: each call is a synchronous block in a group-committed write transaction.
 */
export function createSqliteQueue(db: SqliteDb): QueueMethods {
  const get = (sql: string, ...p: SQLInputValue[]) => db.getSync(sql, p as Param[]);
  const all = (sql: string, ...p: SQLInputValue[]) => db.allSync(sql, p as Param[]);
  const run = (sql: string, ...p: SQLInputValue[]) => db.runSync(sql, p as Param[]);
  // Rotates the endpoint a claim starts from, so that no endpoint always comes first.
  let rotation = 0;

  function ingestSync(tenantId: string, events: NewEvent[], now: number, windowMs: number): IngestResult[] | null {
    if (!get("SELECT 1 AS one FROM tenants WHERE id = ?", tenantId)) return null;
    const endpoints = all(FANOUT_ENDPOINTS, tenantId).map(rowToFanoutEndpoint);
    const batching = new Set<FanoutEndpoint>();
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
      const fp = ev.fingerprint ?? null;
      let step: AlertStep | null = null;
      if (fp !== null) {
        const prev = get(SELECT_ALERT, tenantId, fp);
        step = stepAlert(prev ? rowToAlertRow(prev) : null, ev.state ?? "start", now);
        run(UPSERT_ALERT, ...alertParams(tenantId, fp, step, ev.id, now));
      }
      run(INSERT_EVENT, ev.id, tenantId, ev.type, ev.severity ?? null, ev.payload, ev.idempotencyKey, now, fp, step?.state ?? null, step?.next.startedAt ?? null, step?.next.updateCount ?? null);
      let n = 0;
      for (const ep of endpoints) {
        if (!matchesEventType(ep.types, ev.type) || !passesSeverity(ep.minSeverity, ev.severity ?? null)) continue;
        if (step !== null) {
          const last = get(SELECT_ALERT_SEND, ep.id, fp);
          if (!shouldSend(lifecycleOf(ep), step, last ? Number(last.last_sent_at) : null, now)) continue;
          run(UPSERT_ALERT_SEND, ep.id, fp, tenantId, now);
        }
        // A batching endpoint's delivery waits up to maxWaitMs for others to join its batch.
        if (ep.batchMaxEvents !== null) batching.add(ep);
        run(INSERT_DELIVERY, newId("dlv", now), tenantId, ev.id, ep.id, ev.type, ep.batchMaxEvents === null ? now : now + ep.batchWaitMs, now, now);
        n++;
      }
      out.push({ id: ev.id, deliveries: n, duplicate: false });
    }
    for (const ep of batching) {
      const waiting = Number(get(COUNT_UNBATCHED, ep.id, ep.batchMaxEvents! * FULL_BATCHES_CHECKED)?.n ?? 0);
      const full = waiting - (waiting % ep.batchMaxEvents!);
      if (full > 0) run(MARK_FULL_BATCHES_DUE, now, ep.id, full, now);
    }
    return out;
  }

  return {
    async ingest(tenantId, events, now, windowMs) {
      return db.writeTx(() => ingestSync(tenantId, events, now, windowMs));
    },

    async claimDue(opts) {
      const { limit, leaseMs, owner, now, endpointConcurrency } = opts;
      const tenants = tenantRoomOf(opts);
      return db.writeTx(() => {
        const endpoints = all(ENDPOINTS_WITH_PENDING, now, JSON.stringify(tenants.full));
        const ids: string[] = [];
        const start = endpoints.length ? rotation++ % endpoints.length : 0;
        for (let i = 0; i < endpoints.length && ids.length < limit; i++) {
          const ep = endpoints[(start + i) % endpoints.length];
          const epId = ep.id as string;
          const tenantId = ep.tenant_id as string;
          // The tenant filled its room earlier in this claim.
          if (tenants.left(tenantId) <= 0) continue;
          // An index seek per endpoint: a GROUP BY over all in-flight rows would read the whole
          // deliveries index when the planner has no statistics, on every claim. A batch in
          // flight counts as one request.
          const leased = Number(get(INFLIGHT_FOR_ENDPOINT, epId)?.n ?? 0);
          const gate = gateOf(ep, leased, endpointConcurrency, now);
          let room = Math.min(gate.room, limit - ids.length, tenants.left(tenantId));
          if (room <= 0) continue;
          // Requests claimed for this endpoint: a delivery sent alone, or a batch.
          const requests: string[] = [];
          // Batches due for a retry go whole, with the members fixed when they formed.
          for (const b of all(DUE_BATCHES, epId, now, room)) {
            for (const m of all(BATCH_MEMBERS, b.batch_id as string)) ids.push(m.id as string);
            requests.push(b.batch_id as string);
            room--;
          }
          const maxEvents = ep.batch_max_events === null ? null : Number(ep.batch_max_events);
          if (maxEvents === null) {
            if (room > 0) {
              for (const r of all(DUE_FOR_ENDPOINT, epId, now, room)) {
                ids.push(r.id as string);
                requests.push(r.id as string);
              }
            }
          } else {
            for (; room > 0; room--) {
              // Oldest first: a batching endpoint's deliveries wait until created + maxWaitMs, and
              // ingest makes the oldest due at once when enough wait to fill batches.
              const open = all(UNBATCHED, epId, maxEvents);
              if (open.length === 0 || (open.length < maxEvents && Number(open[0].next_attempt_at) > now)) break;
              const batchId = newId("bat", now);
              run(INSERT_BATCH, batchId, ep.tenant_id as string, epId, open.length, now);
              run(ASSIGN_BATCH, batchId, JSON.stringify(open.map((r) => r.id as string)));
              for (const r of open) ids.push(r.id as string);
              requests.push(batchId);
            }
          }
          if (requests.length === 0) continue;
          tenants.take(tenantId, requests.length);
          if (gate.tokens !== null) run(UPSERT_TOKENS, epId, tenantId, gate.tokens - requests.length, now, now);
          if (gate.probe) run(MARK_PROBE, requests[0], now, epId);
        }
        if (ids.length === 0) return [];
        const list = JSON.stringify(ids);
        run(LEASE_IDS, owner, now + leaseMs, now, list);
        return all(SELECT_CLAIMED, list).map(rowToClaimed);
      });
    },

    async complete(owner, outcomes, now, opts = DEFAULT_COMPLETE) {
      if (outcomes.length === 0) return;
      await db.writeTx(() => runStepsSync(db, completeSteps(SQLITE, owner, outcomes, now, opts), (t, events, at) => ingestSync(t, events, at, 0)));
    },

    async releaseExpiredLeases(now) {
      return db.run(RELEASE_EXPIRED, [now]);
    },

    async releaseOwned(owner, now) {
      return db.run(RELEASE_OWNED, [now, owner]);
    },
  };
}
