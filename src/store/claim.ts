import { newId } from "../core/ids.ts";
import type { ClaimedDelivery } from "../core/types.ts";
import { type Dialect, type Steps, all, run, table } from "./dialect.ts";
import { type Gate, gateOf } from "./gate.ts";
import { MARK_PROBE, UPSERT_TOKENS } from "./operations.ts";
import { rowToClaimed } from "./rows.ts";
import type { Param, Row } from "./sql.ts";
import type { ClaimOptions } from "./store.ts";
import { tenantRoomOf } from "./tenant-room.ts";
import { ENDPOINT_COLUMNS, FALLBACK_GATES, FALLS_BACK, MARK_SENT_TO, SENDS, sendsItself } from "./claim-fallback.ts";

// claimDue(opts): due deliveries leased to one worker, in one transaction on either backend (the
// steps run through store/sqlite/sqlite-steps.ts or store/postgres/pg-steps.ts).
//
// 1. List up to MAX_ENDPOINTS endpoints with pending work that may send (enabled, validated, circuit
//    not cooling down, tenant with room), in random order so that none always comes first. Each
//    list is found by skipping from endpoint to endpoint over the partial index of pending
//    deliveries (a loose index scan): its cost follows the endpoints with pending work, not the
//    deliveries. On PostgreSQL the listed endpoints are locked (SKIP LOCKED: concurrent claimers
//    take others), so each endpoint's in-flight count is read after every earlier claim on it has
//    committed and the per-endpoint cap holds across workers.
// 2. Walk them in chunks: read the chunk's in-flight counts and which have batches due for a
//    retry; each endpoint's room is the least of its gate (concurrency cap, circuit, rate limit),
//    its tenant's room in this process and what is left of the claim's limit.
// 3. Batches due for a retry go whole, with the members fixed when they formed; a batching
//    endpoint forms new batches from its oldest waiting deliveries; other endpoints take their
//    oldest due deliveries, one request each.
// 4. Lease what was taken, then write the rate-limit buckets and the circuit probes.
//
// Fallback (docs/delivery.md): an endpoint whose circuit is open (cooling down, not at its probe)
// or that was disabled for failing or by a 410, and that names a fallback endpoint, is listed too.
// Its deliveries not in a batch go to the fallback one by one, under the fallback's gate (its
// concurrency cap, circuit and rate limit; on PostgreSQL it is locked like a listed endpoint), and
// only while the fallback itself may send: a fallback's own fallback is never followed.
//
// Every statement reads by index the rows it returns (plus one seek per endpoint), whatever the
// backlog: test/store/query-plans.test.ts and claim-backlog.test.ts hold that.

/** Endpoints one claim looks at, at most. */
export const MAX_ENDPOINTS = 500;
/** Endpoints whose counts one statement reads. */
const CHUNK = 64;

/**
 * (now, tenants without room): step 1. SQLite lists endpoints with pending work, due or not (its
 * write transaction holds the database; no locks); PostgreSQL endpoints with due work, locked.
 * The limit is written into the text: SQLite runs this statement about 6 times slower with the
 * limit as a bound parameter (50 µs against 8 µs, measured with 12 endpoints).
 */
export const DUE_ENDPOINTS = {
  sqlite: `
  WITH RECURSIVE p(id) AS (
    SELECT (SELECT min(endpoint_id) FROM deliveries WHERE status = 'pending')
    UNION ALL
    SELECT (SELECT min(endpoint_id) FROM deliveries WHERE status = 'pending' AND endpoint_id > p.id) FROM p WHERE p.id IS NOT NULL
  )
  SELECT ${ENDPOINT_COLUMNS}
  FROM p JOIN endpoints e ON e.id = p.id LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
  WHERE (${SENDS("?1")} OR ${FALLS_BACK("?1")})
    AND e.tenant_id NOT IN (SELECT value FROM json_each(?2))
  ORDER BY random() LIMIT ${MAX_ENDPOINTS}`,
  pg: `
  WITH RECURSIVE due(endpoint_id) AS (
    (SELECT endpoint_id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY endpoint_id LIMIT 1)
    UNION ALL
    SELECT (SELECT d.endpoint_id FROM deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND d.endpoint_id > due.endpoint_id
            ORDER BY d.endpoint_id LIMIT 1)
    FROM due WHERE due.endpoint_id IS NOT NULL)
  SELECT ${ENDPOINT_COLUMNS}
  FROM endpoints e JOIN due ON e.id = due.endpoint_id LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
  WHERE (${SENDS("$1")} OR ${FALLS_BACK("$1")})
    AND NOT (e.tenant_id = ANY($2::text[]))
  ORDER BY random() LIMIT ${MAX_ENDPOINTS}
  FOR UPDATE OF e SKIP LOCKED`,
};

/**
 * Table (endpoint): requests in flight per endpoint, a batch counting as one, in two parts to add
 * up: its own deliveries, and those of endpoints that fell back on it (each alone; read from the
 * small partial index deliveries_sent_to). SQLite seeks each endpoint: a GROUP BY over every
 * in-flight row would read the whole index without statistics. Its endpoint_id is NULL when none
 * is in flight (an aggregate without rows), which reads as 0; selecting the parameter instead
 * (`?1 AS endpoint_id`) made the statement twice as slow.
 */
export const INFLIGHT = {
  sqlite: {
    eachRow: `SELECT endpoint_id, count(DISTINCT coalesce(batch_id, id)) AS n FROM deliveries WHERE endpoint_id = ?1 AND status = 'delivering'
  UNION ALL SELECT sent_to_endpoint_id, count(*) FROM deliveries WHERE sent_to_endpoint_id = ?1 AND sent_to_endpoint_id IS NOT NULL AND status = 'delivering'`,
  },
  pg: `SELECT endpoint_id, count(DISTINCT coalesce(batch_id, id))::int AS n FROM deliveries
  WHERE status = 'delivering' AND endpoint_id = ANY($1::text[]) GROUP BY endpoint_id
  UNION ALL SELECT sent_to_endpoint_id, count(*)::int FROM deliveries
  WHERE status = 'delivering' AND sent_to_endpoint_id IS NOT NULL AND sent_to_endpoint_id = ANY($1::text[]) GROUP BY sent_to_endpoint_id`,
};

/**
 * Table (endpoint), now: the endpoints with a batch due for a retry. SQLite is pinned to the
 * partial index of pending batched deliveries: without statistics it picks deliveries_due and
 * reads the endpoint's whole due backlog to test batch_id, for an endpoint that may not batch.
 */
export const WITH_DUE_BATCHES = {
  sqlite: {
    eachRow: `SELECT endpoint_id FROM deliveries INDEXED BY deliveries_batch_due
  WHERE endpoint_id = ?1 AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= ?2 LIMIT 1`,
  },
  pg: `SELECT DISTINCT endpoint_id FROM deliveries
  WHERE endpoint_id = ANY($1::text[]) AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= $2`,
};

/** (endpoint, now, most): batches due for a retry. */
export const DUE_BATCHES = {
  sqlite: `SELECT DISTINCT batch_id FROM deliveries INDEXED BY deliveries_batch_due
  WHERE endpoint_id = ? AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= ? LIMIT ?`,
  pg: "SELECT DISTINCT batch_id FROM deliveries WHERE endpoint_id = $1 AND batch_id IS NOT NULL AND status = 'pending' AND next_attempt_at <= $2 LIMIT $3",
};
export const BATCH_MEMBERS = "SELECT id FROM deliveries WHERE batch_id = ? AND status = 'pending'";

/** (endpoint, most): the pending deliveries of a batching endpoint that no batch holds yet, oldest first. */
export const UNBATCHED = {
  sqlite: `SELECT id, next_attempt_at FROM deliveries WHERE endpoint_id = ? AND status = 'pending' AND batch_id IS NULL
  ORDER BY next_attempt_at, id LIMIT ?`,
  pg: `SELECT id, next_attempt_at FROM deliveries WHERE endpoint_id = $1 AND status = 'pending' AND batch_id IS NULL
  ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE`,
};
export const INSERT_BATCH = "INSERT INTO batches (id, tenant_id, endpoint_id, size, created_at) VALUES (?, ?, ?, ?, ?)";
/** (batch, deliveries). */
export const ASSIGN_BATCH = {
  sqlite: "UPDATE deliveries SET batch_id = ? WHERE id IN (SELECT value FROM json_each(?))",
  pg: "UPDATE deliveries SET batch_id = $1 WHERE id = ANY($2::text[])",
};

const CLAIMED_COLUMNS = `d.id, d.tenant_id, d.event_id, d.endpoint_id, d.attempts, d.pinned_version, d.batch_id,
  ev.type, ev.severity, ev.payload, ev.created_at, ev.fingerprint, ev.state, ev.alert_started_at, ev.update_count, ev.trace_context, e.url, e.version`;

/**
 * PostgreSQL, table (endpoint, room), now, most, owner, lease until: the oldest due deliveries of
 * endpoints that do not batch, up to each one's room, leased and returned with their event and
 * endpoint in one statement.
 */
export const CLAIM_SINGLES = {
  pg: `
  WITH eps AS (SELECT * FROM unnest($1::text[], $2::int[]) AS x(id, room)),
  cand AS (
    SELECT c.id, c.next_attempt_at FROM eps
    CROSS JOIN LATERAL (
      SELECT d.id, d.next_attempt_at FROM deliveries d
      WHERE d.endpoint_id = eps.id AND d.status = 'pending' AND d.next_attempt_at <= $3 AND d.batch_id IS NULL
      ORDER BY d.next_attempt_at
      LIMIT eps.room
      FOR UPDATE OF d SKIP LOCKED) c
    ORDER BY c.next_attempt_at LIMIT $4)
  UPDATE deliveries d SET status = 'delivering', lease_owner = $5, lease_until = $6, updated_at = $3, sent_to_endpoint_id = NULL,
    pinned_version = COALESCE(d.pinned_version, e.version)
  FROM cand, events ev, endpoints e
  WHERE d.id = cand.id AND ev.id = d.event_id AND e.id = d.endpoint_id
  RETURNING ${CLAIMED_COLUMNS}`,
};

/**
 * (endpoint, room, now): the same choice for one endpoint, without leasing (see LEASE). SQLite
 * takes every endpoint's this way; PostgreSQL those of failing endpoints sent to their fallback,
 * so that the fallback's room is counted in rows taken, not in room handed out.
 */
export const PICK_SINGLES = {
  sqlite:
    "SELECT id, endpoint_id FROM deliveries WHERE endpoint_id = ?1 AND status = 'pending' AND next_attempt_at <= ?3 AND batch_id IS NULL ORDER BY next_attempt_at LIMIT ?2",
  pg: `SELECT id, endpoint_id FROM deliveries WHERE endpoint_id = $1 AND status = 'pending' AND next_attempt_at <= $3 AND batch_id IS NULL
  ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
};

/**
 * (deliveries, owner, lease until, now): leases the rows taken. PostgreSQL returns them with their
 * event and endpoint; SQLite's RETURNING sees only the updated table, so SELECT_CLAIMED reads them.
 */
export const LEASE = {
  sqlite: `UPDATE deliveries SET status = 'delivering', lease_owner = ?2, lease_until = ?3, updated_at = ?4, sent_to_endpoint_id = NULL,
    pinned_version = coalesce(pinned_version, (SELECT version FROM endpoints e WHERE e.id = deliveries.endpoint_id))
  WHERE id IN (SELECT value FROM json_each(?1))`,
  pg: `UPDATE deliveries d SET status = 'delivering', lease_owner = $2, lease_until = $3, updated_at = $4, sent_to_endpoint_id = NULL,
    pinned_version = COALESCE(d.pinned_version, e.version)
  FROM events ev, endpoints e
  WHERE d.id = ANY($1::text[]) AND d.status = 'pending' AND ev.id = d.event_id AND e.id = d.endpoint_id
  RETURNING ${CLAIMED_COLUMNS}`,
};
/** SQLite, (deliveries): the leased rows with their event and endpoint. */
export const SELECT_CLAIMED = `SELECT ${CLAIMED_COLUMNS}
  FROM deliveries d JOIN events ev ON ev.id = d.event_id JOIN endpoints e ON e.id = d.endpoint_id
  WHERE d.id IN (SELECT value FROM json_each(?))`;

export function* claimSteps(d: Dialect, opts: ClaimOptions): Steps<ClaimedDelivery[]> {
  const { leaseMs, owner, now, endpointConcurrency } = opts;
  const tenants = tenantRoomOf(opts);
  // Failing endpoints sent to their fallback first (the random order kept otherwise): their rows
  // are counted as taken, and the fallback's own deliveries then get the room that is left.
  const listed = (yield all("claim: endpoints", DUE_ENDPOINTS, [now, tenants.full])).rows.sort(
    (x, y) => Number(sendsItself(x, now)) - Number(sendsItself(y, now)),
  );
  if (listed.length === 0) return [];
  // Deliveries this claim may still take (a batch's members count one each; on PostgreSQL the
  // single deliveries are taken last, up to what the batches left).
  let budget = opts.limit;
  // Rows to lease: batch members, the deliveries sent to a fallback, and on SQLite the single deliveries picked.
  const taken: string[] = [];
  // PostgreSQL: (endpoint, room) of the endpoints whose single deliveries CLAIM_SINGLES takes.
  const singles: Param[][] = [];
  // Per endpoint with room: its row, its gate, the requests taken (a batch, or a delivery sent
  // alone) and, on PostgreSQL, the room handed to CLAIM_SINGLES, for the gate's bookkeeping at the
  // end. A fallback's entry is shared by its own deliveries and those it takes for others.
  const taking = new Map<string, Taking>();
  const roomLeft = (t: Taking) => t.gate.room - t.reqs.length - t.handed;
  // Failing endpoints whose deliveries this claim sends to their fallback: primary → fallback row.
  const via = new Map<string, Row>();

  for (let i = 0; i < listed.length && budget > 0; i += CHUNK) {
    const chunk = listed.slice(i, i + CHUNK).filter((e) => tenants.left(e.tenant_id as string) > 0);
    if (chunk.length === 0) continue;
    const ids = table(
      chunk.map((e) => [e.id as string]),
      1,
    );
    const inflight = sumByEndpoint((yield all("claim: in flight", INFLIGHT, [ids])).rows);
    const withBatches = new Set((yield all("claim: endpoints with due batches", WITH_DUE_BATCHES, [ids, now])).rows.map((r) => r.endpoint_id as string));
    // The fallbacks of this chunk's failing endpoints that may send, found (and on PostgreSQL
    // locked) once, with their in-flight counts.
    const fallbacks = new Map<string, Row>();
    const wanted = [...new Set(chunk.filter((e) => !sendsItself(e, now)).map((e) => e.fallback_endpoint_id as string))].filter((id) => !taking.has(id));
    if (wanted.length) {
      const found = (yield all("claim: fallbacks", FALLBACK_GATES, [wanted, now])).rows;
      const counts = found.length
        ? sumByEndpoint(
            (yield all("claim: in flight", INFLIGHT, [
              table(
                found.map((f) => [f.id as string]),
                1,
              ),
            ])).rows,
          )
        : new Map<string, number>();
      for (const f of found) {
        fallbacks.set(f.id as string, f);
        inflight.set(f.id as string, counts.get(f.id as string) ?? 0);
      }
    }
    const entryFor = (row: Row): Taking => {
      const id = row.id as string;
      let t = taking.get(id);
      if (!t) taking.set(id, (t = { ep: row, gate: gateOf(row, inflight.get(id) ?? 0, endpointConcurrency, now), reqs: [], handed: 0 }));
      return t;
    };
    for (const ep of chunk) {
      if (budget <= 0) break;
      const epId = ep.id as string;
      const tenantId = ep.tenant_id as string;
      if (!sendsItself(ep, now)) {
        // One hop: the fallback is used only while it sends to itself.
        const fid = ep.fallback_endpoint_id as string;
        const f = taking.get(fid)?.ep ?? fallbacks.get(fid);
        if (f === undefined || !sendsItself(f, now)) continue;
        const t = entryFor(f);
        const room = Math.min(roomLeft(t), tenants.left(tenantId), budget);
        if (room <= 0) continue;
        via.set(epId, f);
        // Its deliveries not in a batch, one request each (a batch formed for it waits for it).
        for (const r of (yield all("claim: pick deliveries", PICK_SINGLES, [epId, room, now])).rows) {
          taken.push(r.id as string);
          t.reqs.push(r.id as string);
          budget--;
          tenants.take(tenantId, 1);
        }
        continue;
      }
      const entry = entryFor(ep);
      let room = Math.min(roomLeft(entry), tenants.left(tenantId));
      if (room <= 0) continue;
      const reqs: string[] = [];
      if (withBatches.has(epId)) {
        for (const b of (yield all("claim: due batches", DUE_BATCHES, [epId, now, room])).rows) {
          const memberIds = (yield all("claim: batch members", BATCH_MEMBERS, [b.batch_id as string])).rows.map((r) => r.id as string);
          taken.push(...memberIds);
          reqs.push(b.batch_id as string);
          budget -= memberIds.length;
          room--;
        }
      }
      if (ep.batch_max_events !== null) {
        const maxEvents = Number(ep.batch_max_events);
        for (; room > 0 && budget > 0; room--) {
          // Oldest first: a batching endpoint's deliveries wait until created + maxWaitMs, and
          // ingest makes the oldest due at once when enough wait to fill batches.
          const open = (yield all("claim: unbatched", UNBATCHED, [epId, maxEvents])).rows;
          const oldest = open[0];
          if (oldest === undefined || (open.length < maxEvents && Number(oldest.next_attempt_at) > now)) break;
          const batchId = newId("bat", now);
          const openIds = open.map((r) => r.id as string);
          yield run("claim: batch insert", INSERT_BATCH, [batchId, tenantId, epId, openIds.length, now]);
          yield run("claim: batch assignment", ASSIGN_BATCH, [batchId, openIds]);
          taken.push(...openIds);
          reqs.push(batchId);
          budget -= openIds.length;
        }
      } else if (d.returningFromJoins) {
        // Taken by one statement at the end; the room is handed out now, so that a tenant's rooms
        // add up to at most its own room (the statement's limit bounds the claim as a whole).
        room = Math.min(room, budget);
        if (room > 0) {
          singles.push([epId, room]);
          entry.handed += room;
          tenants.take(tenantId, room);
        }
      } else {
        room = Math.min(room, budget);
        for (const r of room > 0 ? (yield all("claim: pick deliveries", PICK_SINGLES, [epId, room, now])).rows : []) {
          taken.push(r.id as string);
          reqs.push(r.id as string);
          budget--;
        }
      }
      // Batches, and SQLite's single deliveries (PostgreSQL's were counted when handed out).
      tenants.take(tenantId, reqs.length);
      entry.reqs.push(...reqs);
    }
  }

  let rows: Row[] = [];
  if (taken.length) {
    const leased = yield all("claim: lease", LEASE, [taken, owner, now + leaseMs, now]);
    rows = d.returningFromJoins ? leased.rows : (yield all("claim: claimed rows", SELECT_CLAIMED, [taken])).rows;
  }
  if (singles.length && budget > 0) {
    const claimed = (yield all("claim: deliveries", CLAIM_SINGLES, [table(singles, 2), now, budget, owner, now + leaseMs])).rows;
    for (const r of claimed) taking.get(r.endpoint_id as string)!.reqs.push(r.id as string);
    rows = rows.concat(claimed);
  }
  // Deliveries of failing endpoints go to their fallback: recorded on the row (the fallback's
  // in-flight count reads it) and handed to the worker with the fallback's version.
  const claimed = rows.map(rowToClaimed);
  if (via.size) {
    const byFallback = new Map<string, string[]>();
    for (const c of claimed) {
      const f = via.get(c.endpointId);
      if (f === undefined) continue;
      c.sendTo = { endpointId: f.id as string, version: Number(f.version) };
      const list = byFallback.get(c.sendTo.endpointId);
      if (list) list.push(c.id);
      else byFallback.set(c.sendTo.endpointId, [c.id]);
    }
    for (const [fid, dids] of byFallback) yield run("claim: sent to fallback", MARK_SENT_TO, [fid, dids]);
  }
  // Rate-limit buckets and circuit probes (on PostgreSQL under the endpoint locks this claim holds).
  for (const { ep, gate, reqs } of taking.values()) {
    const firstReq = reqs[0];
    if (firstReq === undefined) continue;
    if (gate.tokens !== null)
      yield run("claim: rate-limit bucket", UPSERT_TOKENS, [ep.id as string, ep.tenant_id as string, gate.tokens - reqs.length, now, now]);
    if (gate.probe) yield run("claim: circuit probe", MARK_PROBE, [firstReq, now, ep.id as string]);
  }
  return claimed;
}

interface Taking {
  ep: Row;
  gate: Gate;
  reqs: string[];
  handed: number;
}

/** INFLIGHT's rows added up per endpoint (a row without an endpoint counted nothing). */
function sumByEndpoint(rows: readonly Row[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows)
    if (r.endpoint_id !== null && r.endpoint_id !== undefined) out.set(r.endpoint_id as string, (out.get(r.endpoint_id as string) ?? 0) + Number(r.n));
  return out;
}
