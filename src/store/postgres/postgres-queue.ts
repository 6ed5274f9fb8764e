import type pg from "pg";
import { passesSeverity } from "../../core/endpoint-settings.ts";
import { matchesEventType } from "../../core/event-types.ts";
import { newId } from "../../core/ids.ts";
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
import type { Row } from "../sql.ts";
import { DEFAULT_COMPLETE, type IngestResult, type NewEvent, type Store } from "../store.ts";
import { toPg, translate, withTransaction } from "./pg-db.ts";
import { runSteps } from "./pg-steps.ts";
import { completeSteps } from "../complete.ts";
import { POSTGRES } from "../dialect.ts";

export const DUE_CHANNEL = "tocsin_due";

type QueueMethods = Pick<Store, "ingest" | "claimDue" | "complete" | "releaseExpiredLeases" | "releaseOwned">;

// Endpoints with due work, locked for this claim. Concurrent claimers skip locked endpoints, so
// each endpoint's in-flight count is read after every other claim on it has committed: the
// per-endpoint cap holds across all workers. The recursive CTE skips from one endpoint to the next
// over the partial index of pending deliveries (a loose index scan), so its cost follows the
// number of endpoints with pending work, not the number of endpoints or of deliveries. Tenants
// whose per-tenant room in this process is used up ($3) are left out, unlocked for other workers.
export const LOCK_DUE_ENDPOINTS = `
  WITH RECURSIVE due(endpoint_id) AS (
    (SELECT endpoint_id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY endpoint_id LIMIT 1)
    UNION ALL
    SELECT (SELECT d.endpoint_id FROM deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND d.endpoint_id > due.endpoint_id
            ORDER BY d.endpoint_id LIMIT 1)
    FROM due WHERE due.endpoint_id IS NOT NULL)
  SELECT e.id, e.tenant_id, e.batch_max_events, e.rate_per_sec, e.rate_burst, h.circuit, h.circuit_until, h.tokens, h.tokens_at
  FROM endpoints e JOIN due ON e.id = due.endpoint_id LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
  WHERE e.enabled = 1 AND (e.validation_status IS NULL OR e.validation_status IN ('none', 'passed'))
    AND NOT (coalesce(h.circuit, 'closed') = 'open' AND h.circuit_until > $1)
    AND NOT (e.tenant_id = ANY($3::text[]))
  ORDER BY random() LIMIT $2
  FOR UPDATE OF e SKIP LOCKED`;

// Runs as its own statement after the locks are taken, so its snapshot sees the leases of every
// claim that held these endpoints before.
const CLAIMED_COLUMNS = `d.id, d.tenant_id, d.event_id, d.endpoint_id, d.attempts, d.pinned_version, d.batch_id,
  ev.type, ev.severity, ev.payload, ev.created_at, ev.fingerprint, ev.state, ev.alert_started_at, ev.update_count, e.url, e.version`;

// Requests in flight per endpoint: a batch in flight counts as one.
export const INFLIGHT = `SELECT endpoint_id, count(DISTINCT coalesce(batch_id, id))::int AS n FROM deliveries
  WHERE status = 'delivering' AND endpoint_id = ANY($1::text[]) GROUP BY endpoint_id`;

// Deliveries sent alone, for endpoints that do not batch, up to each endpoint's room ($3). The
// rooms are handed out beforehand so that a tenant's rooms add up to at most its own room: the
// per-tenant cap needs nothing more of this statement.
export const CLAIM = `
  WITH eps AS (SELECT * FROM unnest($1::text[], $3::int[]) AS x(id, room)),
  cand AS (
    SELECT c.id, c.next_attempt_at FROM eps
    CROSS JOIN LATERAL (
      SELECT d.id, d.next_attempt_at FROM deliveries d
      WHERE d.endpoint_id = eps.id AND d.status = 'pending' AND d.next_attempt_at <= $2 AND d.batch_id IS NULL
      ORDER BY d.next_attempt_at
      LIMIT eps.room
      FOR UPDATE OF d SKIP LOCKED) c
    ORDER BY c.next_attempt_at LIMIT $4)
  UPDATE deliveries d SET status = 'delivering', lease_owner = $5, lease_until = $6, updated_at = $2,
    pinned_version = COALESCE(d.pinned_version, e.version)
  FROM cand, events ev, endpoints e
  WHERE d.id = cand.id AND ev.id = d.event_id AND e.id = d.endpoint_id
  RETURNING ${CLAIMED_COLUMNS}`;

// Batch members chosen by the claim (their endpoints are locked by it).
export const LEASE_IDS = `
  UPDATE deliveries d SET status = 'delivering', lease_owner = $2, lease_until = $3, updated_at = $4,
    pinned_version = COALESCE(d.pinned_version, e.version)
  FROM events ev, endpoints e
  WHERE d.id = ANY($1::text[]) AND d.status = 'pending' AND ev.id = d.event_id AND e.id = d.endpoint_id
  RETURNING ${CLAIMED_COLUMNS}`;
export const EPS_WITH_DUE_BATCHES =
  "SELECT DISTINCT endpoint_id FROM deliveries WHERE endpoint_id = ANY($1::text[]) AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= $2";
export const DUE_BATCHES =
  "SELECT DISTINCT batch_id FROM deliveries WHERE endpoint_id = $1 AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= $2 LIMIT $3";
export const BATCH_MEMBERS = "SELECT id FROM deliveries WHERE batch_id = $1 AND status = 'pending'";
export const UNBATCHED = `SELECT id, next_attempt_at FROM deliveries WHERE endpoint_id = $1 AND status = 'pending' AND batch_id IS NULL
  ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE`;

export const INSERT_EVENTS = `INSERT INTO events (id, tenant_id, type, severity, payload, idempotency_key, created_at, fingerprint, state, alert_started_at, update_count)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::bigint[], $11::int[])`;
export const INSERT_DELIVERIES = `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
  SELECT id, t, e, ep, ty, 'pending', 0, due, at, at FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
    AS x(id, t, e, ep, ty, at, due)`;

async function ingestWith(c: pg.PoolClient, tenantId: string, events: NewEvent[], now: number, windowMs: number): Promise<IngestResult[] | null> {
  if ((await c.query("SELECT 1 FROM tenants WHERE id = $1 FOR SHARE", [tenantId])).rowCount === 0) return null;
  const endpoints = (await c.query(toPg(FANOUT_ENDPOINTS), [tenantId])).rows.map(rowToFanoutEndpoint);
  const batching = new Set<FanoutEndpoint>();
  // Updates of one alert serialise on its lock, taken for the whole request in one order so
  // that two requests with the same alerts cannot deadlock.
  const fingerprints = [...new Set(events.map((e) => e.fingerprint).filter((f): f is string => typeof f === "string"))].sort();
  for (const fp of fingerprints) await c.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`alert ${tenantId} ${fp}`]);
  const out: IngestResult[] = [];
  const evCols: unknown[][] = [[], [], [], [], [], [], [], [], [], [], []];
  const dlCols: unknown[][] = [[], [], [], [], [], [], []];
  const inBatch = new Map<string, IngestResult>();
  for (const ev of events) {
    if (ev.idempotencyKey !== null) {
      const seen = inBatch.get(ev.idempotencyKey);
      if (seen) {
        out.push({ id: seen.id, deliveries: seen.deliveries, duplicate: true });
        continue;
      }
      // Claims the key unless a live one exists; concurrent requests with one key serialise on its row.
      const won = await c.query(
        `INSERT INTO idempotency_keys (tenant_id, key, event_id, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, key) DO UPDATE SET event_id = excluded.event_id, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= $5 RETURNING event_id`,
        [tenantId, ev.idempotencyKey, ev.id, now + windowMs, now],
      );
      if (won.rowCount === 0) {
        const prior = (await c.query("SELECT event_id FROM idempotency_keys WHERE tenant_id = $1 AND key = $2", [tenantId, ev.idempotencyKey])).rows[0];
        const n = (await c.query("SELECT count(*)::int AS n FROM deliveries WHERE event_id = $1", [prior.event_id])).rows[0].n as number;
        out.push({ id: prior.event_id as string, deliveries: n, duplicate: true });
        continue;
      }
    }
    const fp = ev.fingerprint ?? null;
    let step: AlertStep | null = null;
    if (fp !== null) {
      const prev = (await c.query(toPg(SELECT_ALERT), [tenantId, fp])).rows[0];
      step = stepAlert(prev ? rowToAlertRow(prev) : null, ev.state ?? "start", now);
      await c.query(toPg(UPSERT_ALERT), alertParams(tenantId, fp, step, ev.id, now));
    }
    [ev.id, tenantId, ev.type, ev.severity ?? null, ev.payload, ev.idempotencyKey, now, fp, step?.state ?? null, step?.next.startedAt ?? null, step?.next.updateCount ?? null].forEach(
      (v, i) => evCols[i].push(v),
    );
    let n = 0;
    for (const ep of endpoints) {
      if (!matchesEventType(ep.types, ev.type) || !passesSeverity(ep.minSeverity, ev.severity ?? null)) continue;
      if (step !== null) {
        const last = (await c.query(toPg(SELECT_ALERT_SEND), [ep.id, fp])).rows[0];
        if (!shouldSend(lifecycleOf(ep), step, last ? Number(last.last_sent_at) : null, now)) continue;
        await c.query(toPg(UPSERT_ALERT_SEND), [ep.id, fp, tenantId, now]);
      }
      // A batching endpoint's delivery waits up to maxWaitMs for others to join its batch.
      if (ep.batchMaxEvents !== null) batching.add(ep);
      [newId("dlv", now), tenantId, ev.id, ep.id, ev.type, now, ep.batchMaxEvents === null ? now : now + ep.batchWaitMs].forEach((v, i) => dlCols[i].push(v));
      n++;
    }
    const r: IngestResult = { id: ev.id, deliveries: n, duplicate: false };
    if (ev.idempotencyKey !== null) inBatch.set(ev.idempotencyKey, r);
    out.push(r);
  }
  if (evCols[0].length) {
    await c.query(INSERT_EVENTS, evCols);
  }
  if (dlCols[0].length) {
    await c.query(INSERT_DELIVERIES, dlCols);
    for (const ep of batching) {
      const waiting = Number((await c.query(toPg(COUNT_UNBATCHED), [ep.id, ep.batchMaxEvents! * FULL_BATCHES_CHECKED])).rows[0].n);
      const full = waiting - (waiting % ep.batchMaxEvents!);
      if (full > 0) await c.query(toPg(MARK_FULL_BATCHES_DUE), [now, ep.id, full, now]);
    }
    // Delivered to listening workers when the transaction commits.
    await c.query("SELECT pg_notify($1, '')", [DUE_CHANNEL]);
  }
  return out;
}

export function createPostgresQueue(pool: pg.Pool): QueueMethods {
  const exec = async (sql: string, params: unknown[]) => {
    try {
      return await pool.query(sql, params);
    } catch (e) {
      return translate(e);
    }
  };

  return {
    async ingest(tenantId, events, now, windowMs) {
      return withTransaction(pool, (c) => ingestWith(c, tenantId, events, now, windowMs));
    },

    async claimDue(opts) {
      const { limit, leaseMs, owner, now, endpointConcurrency } = opts;
      const tenants = tenantRoomOf(opts);
      return withTransaction(pool, async (c) => {
        const locked = (await c.query(LOCK_DUE_ENDPOINTS, [now, 500, tenants.full])).rows as Row[];
        if (locked.length === 0) return [];
        const ids = locked.map((e) => e.id as string);
        const inflight = new Map((await c.query(INFLIGHT, [ids])).rows.map((r) => [r.endpoint_id as string, Number(r.n)]));
        const gates = new Map(locked.map((e) => [e.id as string, gateOf(e, inflight.get(e.id as string) ?? 0, endpointConcurrency, now)]));
        // Endpoints that batch, or have batches due for a retry, are claimed batch by batch here;
        // the rest in one statement.
        const withBatches = new Set((await c.query(EPS_WITH_DUE_BATCHES, [ids, now])).rows.map((r) => r.endpoint_id as string));
        const members: string[] = [];
        // Requests claimed per endpoint (a batch, or a delivery sent alone), for its bookkeeping.
        const requests = new Map<string, string[]>();
        const took = (epId: string, requestId: string) => {
          const l = requests.get(epId);
          if (l) l.push(requestId);
          else requests.set(epId, [requestId]);
        };
        let budget = limit;
        for (const ep of locked) {
          if (budget <= 0) break;
          const epId = ep.id as string;
          if (ep.batch_max_events === null && !withBatches.has(epId)) continue;
          const tenantId = ep.tenant_id as string;
          const gate = gates.get(epId)!;
          let room = Math.min(gate.room, tenants.left(tenantId));
          if (room <= 0) continue;
          if (withBatches.has(epId)) {
            for (const b of (await c.query(DUE_BATCHES, [epId, now, room])).rows) {
              const memberIds = (await c.query(BATCH_MEMBERS, [b.batch_id])).rows.map((r) => r.id as string);
              members.push(...memberIds);
              took(epId, b.batch_id as string);
              tenants.take(tenantId, 1);
              budget -= memberIds.length;
              room--;
            }
          }
          gate.room = room;
          if (ep.batch_max_events === null) continue;
          const maxEvents = Number(ep.batch_max_events);
          for (; room > 0 && budget > 0; room--) {
            const open = (await c.query(UNBATCHED, [epId, maxEvents])).rows;
            if (open.length === 0 || (open.length < maxEvents && Number(open[0].next_attempt_at) > now)) break;
            const batchId = newId("bat", now);
            const openIds = open.map((r) => r.id as string);
            await c.query("INSERT INTO batches (id, tenant_id, endpoint_id, size, created_at) VALUES ($1, $2, $3, $4, $5)", [batchId, ep.tenant_id, epId, openIds.length, now]);
            await c.query("UPDATE deliveries SET batch_id = $1 WHERE id = ANY($2::text[])", [batchId, openIds]);
            members.push(...openIds);
            took(epId, batchId);
            tenants.take(tenantId, 1);
            budget -= openIds.length;
          }
        }
        const rows = members.length ? (await c.query(LEASE_IDS, [members, owner, now + leaseMs, now])).rows : [];
        // Each endpoint's room, handed out in the locked (random) order until its tenant's room is
        // spent: an endpoint with fewer due deliveries than its share leaves the rest to the next claim.
        const single: string[] = [];
        const rooms: number[] = [];
        for (const e of locked) {
          if (e.batch_max_events !== null) continue;
          const room = Math.min(gates.get(e.id as string)!.room, tenants.left(e.tenant_id as string), budget);
          if (room <= 0) continue;
          tenants.take(e.tenant_id as string, room);
          single.push(e.id as string);
          rooms.push(room);
        }
        if (single.length && budget > 0) {
          const claimed = (await c.query(CLAIM, [single, now, rooms, budget, owner, now + leaseMs])).rows;
          for (const r of claimed) took(r.endpoint_id as string, r.id as string);
          rows.push(...claimed);
        }
        // Rate-limit buckets and probes, under the endpoint locks this claim holds.
        for (const [epId, reqs] of requests) {
          const gate = gates.get(epId)!;
          const ep = locked.find((e) => e.id === epId)!;
          if (gate.tokens !== null) await c.query(toPg(UPSERT_TOKENS), [epId, ep.tenant_id, gate.tokens - reqs.length, now, now]);
          if (gate.probe) await c.query(toPg(MARK_PROBE), [reqs[0], now, epId]);
        }
        return rows.map(rowToClaimed);
      });
    },

    async complete(owner, outcomes, now, opts = DEFAULT_COMPLETE) {
      if (outcomes.length === 0) return;
      await withTransaction(pool, (c) => runSteps(c, completeSteps(POSTGRES, owner, outcomes, now, opts), (t, events, at) => ingestWith(c, t, events, at, 0)));
    },

    async releaseExpiredLeases(now) {
      return (await exec(toPg(RELEASE_EXPIRED), [now])).rowCount ?? 0;
    },

    async releaseOwned(owner, now) {
      return (await exec(toPg(RELEASE_OWNED), [now, owner])).rowCount ?? 0;
    },
  };
}
