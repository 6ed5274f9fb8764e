import { passesSeverity } from "../core/endpoint-settings.ts";
import { matchesEventType } from "../core/event-types.ts";
import { idFloor, newId } from "../core/ids.ts";
import type { Replay, ReplayScope } from "../core/types.ts";
import { createdBetween, eventTypeMatching } from "./created-between.ts";
import { compiledFilter, eventSubject } from "./fanout.ts";
import type { Param, Row, SqlDb } from "./sql.ts";
import { type Page, type PageResult, decodeCursor, encodeCursor } from "./page.ts";

// Replay jobs, written once for both backends. A job walks its range in steps of one transaction
// each; the step records where it stopped, so a job resumes after a crash without sending twice
// what it already queued.

/** Which failed deliveries a job (or a count) covers: created in [since, until), of one endpoint or all. */
export interface FailedFilter {
  tenantId: string;
  /** Null: every endpoint of the tenant. */
  endpointId: string | null;
  /** An event type, or `prefix.*` for a family; null: every type. */
  eventType: string | null;
  since: number;
  until: number;
}

export interface NewReplay extends FailedFilter {
  /** False when the request named no end (until is then its time): such requests are the same job. */
  untilGiven: boolean;
  /** The start or end as given when it was a duration before the request ("1h"): matched as text. */
  sinceAgo: string | null;
  untilAgo: string | null;
  scope: ReplayScope;
}

export interface ReplayMethods {
  /**
   * Starts a replay, or returns the one asked with the same request (endpoint, event type, scope,
   * and the range as given) within `sameWithinMs` (`created: false`). Null when the endpoint (or,
   * for a job of every endpoint, the tenant) does not exist.
   */
  createReplay(r: NewReplay, now: number, sameWithinMs: number): Promise<{ replay: Replay; created: boolean } | null>;
  /** How many failed deliveries match, counting no further than `cap`. */
  countFailed(f: FailedFilter, cap: number): Promise<number>;
  getReplay(tenantId: string, id: string): Promise<Replay | null>;
  listReplays(tenantId: string, endpointId: string, page: Page): Promise<PageResult<Replay>>;
  /** A running replay's id (oldest first), or null. */
  nextRunningReplay(afterId: string): Promise<string | null>;
  /** Handles up to `limit` more items of a running replay in one transaction; returns it as it stands after. */
  stepReplay(id: string, now: number, limit: number): Promise<Replay | null>;
}

const rowToReplay = (r: Row): Replay => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  endpointId: r.endpoint_id === null || r.endpoint_id === undefined ? null : String(r.endpoint_id),
  eventType: r.event_type === null || r.event_type === undefined ? null : String(r.event_type),
  since: Number(r.since),
  until: Number(r.until),
  sinceAgo: r.since_ago === null || r.since_ago === undefined ? null : String(r.since_ago),
  untilAgo: r.until_ago === null || r.until_ago === undefined ? null : String(r.until_ago),
  scope: r.scope as ReplayScope,
  state: r.state as Replay["state"],
  total: Number(r.total),
  processed: Number(r.processed),
  queued: Number(r.queued),
  skipped: Number(r.skipped),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  finishedAt: r.finished_at === null || r.finished_at === undefined ? null : Number(r.finished_at),
});

// What each scope walks: failed deliveries (of an endpoint or of the tenant, optionally of one type),
// or every event of the tenant, in the range.
const COUNT_EVENTS = "SELECT count(*) AS n FROM events WHERE tenant_id = ? AND id >= ? AND id < ? AND created_at >= ? AND created_at < ?";
const NEXT_EVENTS = `SELECT id, type, severity FROM events WHERE tenant_id = ? AND id >= ? AND id < ? AND created_at >= ? AND created_at < ? AND id > ?
  ORDER BY id LIMIT ?`;
// For an endpoint with a filter: what the filter reads too.
const NEXT_EVENTS_FILTERED = `SELECT id, type, severity, fingerprint, state, payload FROM events
  WHERE tenant_id = ? AND id >= ? AND id < ? AND created_at >= ? AND created_at < ? AND id > ? ORDER BY id LIMIT ?`;

/** WHERE conditions and parameters for the failed deliveries a filter covers. */
function failedWhere(f: FailedFilter): { where: string; params: Param[] } {
  const range = createdBetween(f.since, f.until);
  const where = ["tenant_id = ?", "status = 'failed'", ...range.where];
  const params: Param[] = [f.tenantId, ...range.params];
  if (f.endpointId !== null) {
    where.push("endpoint_id = ?");
    params.push(f.endpointId);
  }
  eventTypeMatching(f.eventType, where, params);
  return { where: where.join(" AND "), params };
}

/** The job asked with the same request: same target, scope and range as given (see NewReplay). */
function sameRequest(r: NewReplay, createdAfter: number): { sql: string; params: Param[] } {
  const where = ["tenant_id = ?", "scope = ?", "created_at >= ?"];
  const params: Param[] = [r.tenantId, r.scope, createdAfter];
  const eq = (col: string, v: string | null) => {
    if (v === null) where.push(`${col} IS NULL`);
    else {
      where.push(`${col} = ?`);
      params.push(v);
    }
  };
  eq("endpoint_id", r.endpointId);
  eq("event_type", r.eventType);
  if (r.sinceAgo !== null) eq("since_ago", r.sinceAgo);
  else {
    where.push("since_ago IS NULL", "since = ?");
    params.push(r.since);
  }
  if (!r.untilGiven) where.push("until_given = 0");
  else if (r.untilAgo !== null) eq("until_ago", r.untilAgo);
  else {
    where.push("until_given = 1", "until_ago IS NULL", "until = ?");
    params.push(r.until);
  }
  return { sql: `SELECT * FROM replays WHERE ${where.join(" AND ")} ORDER BY created_at DESC LIMIT 1`, params };
}

/** An event row of NEXT_EVENTS_FILTERED as the filter reads it. */
function filteredEvent(r: Row): { type: string; severity: string | null; fingerprint: string | null; payload: string } {
  return {
    type: String(r.type),
    severity: (r.severity as string | null) ?? null,
    fingerprint: (r.fingerprint as string | null) ?? null,
    payload: r.payload === null || r.payload === undefined ? "" : String(r.payload),
  };
}

const REQUEUE = "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'failed'";
const REQUEUE_BATCH = "UPDATE deliveries SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE batch_id = ? AND status = 'failed'";

export function createReplayMethods(db: SqlDb): ReplayMethods {
  return {
    async createReplay(r, now, sameWithinMs) {
      return db.tx(async (tx) => {
        // The endpoint's (or the tenant's) lock serialises identical requests, so they find one job.
        const owner =
          r.endpointId === null
            ? await tx.get("SELECT id FROM tenants WHERE id = ? FOR UPDATE", [r.tenantId])
            : await tx.get("SELECT id FROM endpoints WHERE tenant_id = ? AND id = ? FOR UPDATE", [r.tenantId, r.endpointId]);
        if (!owner) return null;
        const q = sameRequest(r, now - sameWithinMs);
        const same = await tx.get(q.sql, q.params);
        if (same) return { replay: rowToReplay(same), created: false };
        const failed = failedWhere(r);
        const total =
          r.scope === "failed"
            ? Number((await tx.get(`SELECT count(*) AS n FROM deliveries WHERE ${failed.where}`, failed.params))!.n)
            : Number((await tx.get(COUNT_EVENTS, [r.tenantId, idFloor("evt", r.since), idFloor("evt", r.until + 1), r.since, r.until]))!.n);
        const id = newId("rpl", now);
        await tx.run(
          `INSERT INTO replays (id, tenant_id, endpoint_id, event_type, since, until, until_given, since_ago, until_ago, scope, state, total, processed, queued,
             skipped, position, created_at, updated_at, finished_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, '', ?, ?, ?)`,
          [
            id,
            r.tenantId,
            r.endpointId,
            r.eventType,
            r.since,
            r.until,
            r.untilGiven ? 1 : 0,
            r.sinceAgo,
            r.untilAgo,
            r.scope,
            total === 0 ? "completed" : "running",
            total,
            now,
            now,
            total === 0 ? now : null,
          ],
        );
        return { replay: rowToReplay((await tx.get("SELECT * FROM replays WHERE id = ?", [id]))!), created: true };
      });
    },

    async countFailed(f, cap) {
      const q = failedWhere(f);
      const r = await db.get(`SELECT count(*) AS n FROM (SELECT 1 FROM deliveries WHERE ${q.where} LIMIT ?) matched`, [...q.params, cap]);
      return Number(r!.n);
    },

    async getReplay(tenantId, id) {
      const r = await db.get("SELECT * FROM replays WHERE tenant_id = ? AND id = ?", [tenantId, id]);
      return r ? rowToReplay(r) : null;
    },

    async listReplays(tenantId, endpointId, p) {
      const cursor = decodeCursor(p.cursor);
      const rows = await db.all(
        `SELECT * FROM replays WHERE tenant_id = ? AND endpoint_id = ? ${cursor ? "AND id < ?" : ""} ORDER BY id DESC LIMIT ?`,
        cursor ? [tenantId, endpointId, cursor, p.limit + 1] : [tenantId, endpointId, p.limit + 1],
      );
      const more = rows.length > p.limit;
      const data = (more ? rows.slice(0, p.limit) : rows).map(rowToReplay);
      const last = data.at(-1);
      return { data, nextCursor: more && last ? encodeCursor(last.id) : null };
    },

    async nextRunningReplay(afterId) {
      const r = await db.get("SELECT id FROM replays WHERE state = 'running' AND id > ? ORDER BY id LIMIT 1", [afterId]);
      return r ? String(r.id) : null;
    },

    async stepReplay(id, now, limit) {
      return db.tx(async (tx) => {
        const row = await tx.get("SELECT * FROM replays WHERE id = ? FOR UPDATE", [id]);
        if (!row) return null;
        const job = rowToReplay(row);
        if (job.state !== "running") return job;
        const position = String(row.position ?? "");
        // A job of every endpoint has no endpoint to lose.
        const ep =
          job.endpointId === null
            ? null
            : await tx.get("SELECT id, tenant_id, event_types, min_severity, filter FROM endpoints WHERE id = ?", [job.endpointId]);
        if (job.endpointId !== null && !ep) {
          await tx.run("UPDATE replays SET state = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?", [now, now, id]);
          return { ...job, state: "cancelled", finishedAt: now, updatedAt: now };
        }
        let queued = 0;
        let skipped = 0;
        let last = position;
        let seen = 0;
        if (job.scope === "failed") {
          const q = failedWhere(job);
          const rows = await tx.all(`SELECT id, batch_id FROM deliveries WHERE ${q.where} AND id > ? ORDER BY id LIMIT ?`, [...q.params, position, limit]);
          for (const d of rows) {
            last = String(d.id);
            seen++;
            // A batch's members change state together, as with a manual retry.
            const n =
              d.batch_id === null || d.batch_id === undefined
                ? await tx.run(REQUEUE, [now, now, d.id as string])
                : await tx.run(REQUEUE_BATCH, [now, now, d.batch_id as string]);
            if (n > 0) queued++;
            else skipped++;
          }
        } else if (ep && job.endpointId !== null) {
          const types = JSON.parse(String(ep.event_types)) as string[];
          const minSeverity = (ep.min_severity as string | null) ?? null;
          // The endpoint's filter as it stands now, like its event types.
          const filter = ep.filter === null || ep.filter === undefined ? null : compiledFilter(String(ep.filter));
          const rows = await tx.all(filter === null ? NEXT_EVENTS : NEXT_EVENTS_FILTERED, [
            job.tenantId,
            idFloor("evt", job.since),
            idFloor("evt", job.until + 1),
            job.since,
            job.until,
            position,
            limit,
          ]);
          for (const ev of rows) {
            last = String(ev.id);
            seen++;
            const type = String(ev.type);
            if (!matchesEventType(types, type) || !passesSeverity(minSeverity, (ev.severity as string | null) ?? null)) {
              skipped++;
              continue;
            }
            if (filter !== null && !filter(eventSubject(filteredEvent(ev), (ev.state as string | null) ?? null))) {
              skipped++;
              continue;
            }
            const existing = await tx.all("SELECT id, status, batch_id FROM deliveries WHERE event_id = ? AND endpoint_id = ?", [
              ev.id as string,
              job.endpointId,
            ]);
            // Already on its way: sending it again now would only duplicate it.
            if (existing.some((d) => d.status === "pending" || d.status === "delivering")) {
              skipped++;
              continue;
            }
            const failed = existing.find((d) => d.status === "failed");
            if (failed) {
              if (failed.batch_id === null || failed.batch_id === undefined) await tx.run(REQUEUE, [now, now, failed.id as string]);
              else await tx.run(REQUEUE_BATCH, [now, now, failed.batch_id as string]);
            } else {
              await tx.run(
                `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
                [newId("dlv", now), job.tenantId, ev.id as string, job.endpointId, type, now, now, now],
              );
            }
            queued++;
          }
        }
        const done = seen < limit;
        const processed = job.processed + seen;
        // The range changes while a job runs (deliveries fail, retention purges): the count made at
        // the start is an estimate, corrected as the walk goes and exact at the end.
        const total = done ? processed : Math.max(job.total, processed);
        await tx.run(
          `UPDATE replays SET processed = ?, queued = queued + ?, skipped = skipped + ?, position = ?, total = ?, updated_at = ?, state = ?, finished_at = ?
           WHERE id = ?`,
          [processed, queued, skipped, last, total, now, done ? "completed" : "running", done ? now : null, id],
        );
        return rowToReplay((await tx.get("SELECT * FROM replays WHERE id = ?", [id]))!);
      });
    },
  };
}
